"""Dagster does the refresh planning: the nightly_refresh schedule only launches the observation job, the
upstream releases are observations (observable source assets) recorded in the instance, and the
refresh_on_release sensor decides from them (and from what the databases hold) what lmi_refresh runs.

Against the synthetic upstream behind a real local HTTP server, in a real Dagster instance."""

import datetime as dt
import re

import dagster as dg
import pytest
from dagster._core.utils import make_new_run_id

from lmi_demo.server import UpstreamSim
from lmi_demo.world import World
from lmi_pipeline.definitions import defs
from lmi_pipeline.operations.refresh import RANGE_END, RANGE_START
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.sources.upstream import UPSTREAMS
from tests.conftest import TEST_DISTRICTS, fast_resources, live_settings, make_project, observe, run_pipeline, sim_handler

OLD, NEW = "2026-10-15 09:30:00", "2026-11-17 09:30:00"
APS_NEW = "2026-11-12 09:30:00"


class Upstream:
    """A local server whose synthetic upstream can be replaced (a new release) between ticks."""

    def __init__(self, httpserver, latest_month: str, stamp: str):
        httpserver.expect_request(re.compile(".*")).respond_with_handler(lambda r: sim_handler(self.sim)(r))
        self.root = httpserver.url_for("/").rstrip("/")
        self.release(latest_month, stamp)

    def release(self, latest_month: str, stamp: str, aps: str | None = None) -> None:
        self.sim = UpstreamSim(World.for_districts(TEST_DISTRICTS, latest_month=latest_month))
        self.sim.nomis.released = stamp  # the claimant count's LastUpdated ...
        self.sim.nomis.datasets["NM_2014_1"].released = OLD  # ... the population's stays as first loaded
        if aps:
            self.sim.nomis.datasets["NM_17_5"].released = aps

    def data_requests(self, dataset: str) -> list[str]:
        return [p for p in self.sim.log if f"{dataset}.data.csv" in p and "date=latest" not in p]


def _tick(instance, settings, cursor=None):
    """One evaluation of refresh_on_release, as the daemon makes it (its resources: this project's)."""
    definitions = defs()
    resources = {k: v for k, v in fast_resources(settings).items() if k in ("nomis", "dfe", "project")}
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources=resources,
                                 definitions=definitions) as context:
        return definitions.resolve_sensor_def("refresh_on_release").evaluate_tick(context)


@pytest.fixture
def loaded(httpserver, tmp_path):
    """A working database and publication of the claimant count to 2026-09 (release OLD), and the instance
    of the run that built it (its observations recorded)."""
    up = Upstream(httpserver, "2026-09", OLD)
    settings = live_settings(make_project(tmp_path), up.sim, up.root)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, instance=instance).success
        yield up, settings, instance


def test_sensor_requests_exactly_the_changed_months_and_sources(loaded):
    up, settings, instance = loaded

    # The run's own observations: new to the sensor, and nothing changed since that load.
    first = _tick(instance, settings)
    assert first.run_requests == [] and first.cursor
    assert first.skip_message.startswith("Nothing new upstream"), first.skip_message
    assert "skip raw_claimant_count: NM_162_1 release 2026-10-15 09:30:00 unchanged" in first.skip_message
    assert "fetch " not in first.skip_message

    # No new observation: the sensor says so, and asks nothing upstream (it reads observations, not Nomis).
    seen = len(up.sim.log)
    again = _tick(instance, settings, first.cursor)
    assert again.run_requests == [] and "no new upstream observation" in again.skip_message
    assert len(up.sim.log) == seen

    # A release upstream changes nothing until it is observed.
    up.release("2026-10", NEW, aps=APS_NEW)
    unobserved = _tick(instance, settings, first.cursor)
    assert unobserved.run_requests == [] and "no new upstream observation" in unobserved.skip_message

    # Observed: the new month and the one revised before it, and APS (its release changed), nothing else.
    observe(instance, fast_resources(settings))
    tick = _tick(instance, settings, first.cursor)
    (request,) = tick.run_requests
    assert request.tags[RANGE_START] == "2026-09-01" and request.tags[RANGE_END] == "2026-10-01"
    selected = {k.to_user_string() for k in request.asset_selection}
    raw = {k for k in selected if k.startswith("raw_")}
    assert raw == {"raw_claimant_count", "raw_aps"}, raw
    assert {"claimant_count", "aps_estimates", "ward_indicators", "published_database"} <= selected  # rebuilt and published
    assert not selected & {u.key.to_user_string() for u in UPSTREAMS}  # observed, never materialised
    assert "fetch raw_aps: NM_17_5 release 2026-11-12 09:30:00 (was 2026-10-14 09:30:00)" in request.tags["lmi/plan"]
    assert request.run_key and tick.cursor != first.cursor
    assert instance.get_dynamic_partitions("claimant_months")[-1] == "2026-10-01"  # the new month exists

    # The same observations again: no second run for them.
    assert _tick(instance, settings, tick.cursor).run_requests == []

    # The requested run fetches just that.
    definitions = defs()
    result = dg.materialize(list(definitions.assets) + list(definitions.asset_checks), instance=instance,
                            resources=fast_resources(settings), tags=request.tags,
                            selection=request.asset_selection, raise_on_error=False)
    assert result.success, failure_messages(result)
    (claimant,) = up.data_requests("NM_162_1")
    assert "time=2026-09,2026-10" in claimant
    assert up.data_requests("NM_17_5") and not up.data_requests("NM_2014_1")

    # Observed again after that run: the working database holds these releases, so nothing to do.
    observe(instance, fast_resources(settings))
    after = _tick(instance, settings, tick.cursor)
    assert after.run_requests == [] and after.skip_message.startswith("Nothing new upstream"), after.skip_message


def test_sensor_waits_while_a_refresh_is_running(loaded):
    """A refresh still writing the working database: the sensor plans nothing now and keeps its cursor, so
    the observations are planned once that run is over."""
    up, settings, instance = loaded
    up.release("2026-10", NEW)
    observe(instance, fast_resources(settings))
    run = dg.DagsterRun(job_name="lmi_refresh", run_id=make_new_run_id(), status=dg.DagsterRunStatus.STARTED)
    instance.add_run(run)
    waiting = _tick(instance, settings)
    assert waiting.run_requests == [] and waiting.skip_message == "waiting: a lmi_refresh run is in progress"
    assert waiting.cursor is None
    instance.report_run_failed(run)
    (request,) = _tick(instance, settings).run_requests
    assert request.tags[RANGE_START] == "2026-09-01" and request.tags[RANGE_END] == "2026-10-01"


def test_schedule_launches_only_the_observation_job(httpserver, tmp_path):
    """nightly_refresh asks nothing upstream itself and requests observe_upstream_releases; that job
    records one observation per upstream (its release stamp as data version) from metadata requests only."""
    up = Upstream(httpserver, "2026-09", OLD)
    settings = live_settings(make_project(tmp_path), up.sim, up.root)
    definitions = defs()
    schedule = definitions.resolve_schedule_def("nightly_refresh")
    assert schedule.job_name == "observe_upstream_releases"
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=dt.datetime(
            2026, 12, 4, 6, 30, tzinfo=dt.timezone.utc))
        (request,) = schedule.evaluate_tick(context).run_requests
        assert request.job_name in (None, "observe_upstream_releases") and request.asset_selection is None
        assert up.sim.log == []  # the schedule itself makes no request

        job = definitions.resolve_job_def("observe_upstream_releases")
        assert {k for k in job.asset_layer.asset_graph.get_all_asset_keys()
                if job.asset_layer.asset_graph.get(k).is_executable} == {u.key for u in UPSTREAMS}
        result = observe(instance, fast_resources(settings))
        assert not [e for e in result.all_events if e.is_step_materialization]
        assert up.sim.log and all(p.endswith(".def.sdmx.json") for p in up.sim.log if p.startswith("/nomis/"))
        assert not any(".data.csv" in p or "/csv" in p for p in up.sim.log)
        for u in UPSTREAMS:
            record = instance.get_latest_data_version_record(u.key)
            assert record is not None, u.key
        version = instance.get_latest_data_version_record(UPSTREAMS[0].key).asset_observation.data_version
        assert version == OLD
