import json
from pathlib import Path

import dagster as dg

from lmi_pipeline.clients.dfe import DfeResource
from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.defs.jobs import lmi_refresh, observe_upstream_releases
from lmi_pipeline.operations.refresh import plan_refresh, refresh_selection
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.sources.upstream import UPSTREAMS, latest_observation

BUSY = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _busy(instance: dg.DagsterInstance) -> str | None:
    """The job still observing or loading, if any: planning waits for it (its observations are not all in,
    or the working database is being written)."""
    for job in (observe_upstream_releases.name, lmi_refresh.name):
        if instance.get_run_records(dg.RunsFilter(job_name=job, statuses=BUSY), limit=1):
            return job
    return None


@dg.sensor(
    job=lmi_refresh, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING,
    description="After new upstream observations (observe_upstream_releases, launched by the nightly_refresh "
    "schedule): plan as `lmi refresh` does (lmi_pipeline/operations/refresh.py) and run only the new or revisable "
    "claimant-count months and the sources whose release changed. Skipped ticks say why.",
)
def refresh_on_release(context: dg.SensorEvaluationContext, nomis: NomisResource, dfe: DfeResource,
                       project: ProjectResource):
    busy = _busy(context.instance)
    if busy:
        return dg.SkipReason(f"waiting: a {busy} run is in progress")
    seen = json.loads(context.cursor) if context.cursor else {}
    latest = {u.ref: found for u in UPSTREAMS if (found := latest_observation(context.instance, u))}
    cursor = json.dumps({ref: storage_id for ref, (storage_id, _) in latest.items()}, sort_keys=True)
    if not any(storage_id > seen.get(ref, -1) for ref, (storage_id, _) in latest.items()):
        return dg.SkipReason("no new upstream observation since the last tick (nightly_refresh observes at 06:30)")
    areas = project.areas()
    plan = plan_refresh(context.instance, nomis, areas.start_month, areas.revision_window_months,
                        releases={ref: observed for ref, (_, observed) in latest.items()}, dfe=dfe,
                        work_db=Path(project.work_db))
    if plan.nothing_to_do:
        return dg.SensorResult(skip_reason=f"Nothing new upstream ({plan.requests} requests):\n{plan.summary()}",
                               cursor=cursor)
    keys = context.repository_def.asset_graph.get_all_asset_keys()
    return dg.SensorResult(cursor=cursor, run_requests=[dg.RunRequest(
        run_key=f"observations {max(s for s, _ in latest.values())}",
        tags={**plan.partition_tags(), "lmi/plan": plan.summary()[:1000]},
        asset_selection=refresh_selection(keys, plan),
    )])
