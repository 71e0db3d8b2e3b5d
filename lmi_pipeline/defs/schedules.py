from pathlib import Path

import dagster as dg

from lmi_pipeline.clients.dfe import DfeResource
from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.defs.jobs import lmi_refresh
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.refresh import plan_refresh, refresh_selection


@dg.schedule(
    job=lmi_refresh, cron_schedule="30 6 * * *", execution_timezone="Europe/London",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night: ask Nomis whether anything was released (release stamps, then the latest month), "
    "and run only the new or revisable claimant-count months and the sources whose release changed. "
    "Skipped ticks say why.",
)
def nightly_refresh(context: dg.ScheduleEvaluationContext, nomis: NomisResource, dfe: DfeResource,
                    project: ProjectResource):
    from lmi_pipeline.definitions import defs  # the schedule sees every source asset, present and future

    areas = project.areas()
    definitions = defs()
    plan = plan_refresh(context.instance, nomis, areas.start_month, areas.revision_window_months,
                        list(definitions.resolve_all_asset_specs()), dfe=dfe, work_db=Path(project.work_db))
    if plan.nothing_to_do:
        return dg.SkipReason(f"Nothing new upstream ({plan.requests} requests):\n{plan.summary()}")
    return dg.RunRequest(
        run_key=None, tags={**plan.partition_tags(), "lmi/plan": plan.summary()[:1000]},
        asset_selection=refresh_selection(definitions, plan),
    )
