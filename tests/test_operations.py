"""Operating it: partitions and schedule, incremental refresh, revisions, and blocking quality checks."""

import hashlib
import re

import dagster as dg
import duckdb
import pytest
from werkzeug import Response

from lmi_pipeline.definitions import defs
from lmi_demo.server import UpstreamSim
from lmi_demo.world import World
from lmi_pipeline.operations.refresh import RANGE_END, RANGE_START, plan_refresh, refresh_selection
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.sources.upstream import UPSTREAMS
from tests.conftest import TEST_DISTRICTS, fast_resources, live_settings, make_project, observe, run_pipeline, sim_handler


class SwitchableUpstream:
    """A local server whose synthetic upstream can be replaced between runs (a new release)."""

    def __init__(self, httpserver, sim: UpstreamSim):
        self.sim = sim
        httpserver.expect_request(re.compile(".*")).respond_with_handler(lambda r: sim_handler(self.sim)(r))
        self.root = httpserver.url_for("/").rstrip("/")

    def release(self, latest_month: str, stamp: str, world: World | None = None) -> UpstreamSim:
        self.sim = UpstreamSim(world or World.for_districts(TEST_DISTRICTS, latest_month=latest_month))
        self.sim.nomis.released = stamp
        return self.sim

    def data_requests(self, dataset="NM_162_1") -> list[str]:
        """Data downloads (not the one-row `date=latest` probe that asks which month is newest)."""
        return [p for p in self.sim.log if f"{dataset}.data.csv" in p and "date=latest" not in p]


def _refresh(settings, instance, revision_window=2):
    """What `lmi refresh` does (and the nightly schedule and the refresh_on_release sensor between them):
    observe the upstreams, plan from the observations, then run the planned selection."""
    definitions = defs()
    resources = fast_resources(settings)
    observe(instance, resources)
    plan = plan_refresh(instance, resources["nomis"], "2013-01", revision_window, dfe=resources["dfe"],
                        work_db=settings.work_db)
    if plan.nothing_to_do:
        return plan, None
    result = dg.materialize(list(definitions.assets) + list(definitions.asset_checks), instance=instance,
                            resources=resources, tags=plan.partition_tags(),
                            selection=refresh_selection(definitions, plan), raise_on_error=False)
    return plan, result


def test_partitions_schedule_and_freshness_are_defined():
    d = defs()
    raw = d.resolve_assets_def("raw_claimant_count")
    assert isinstance(raw.partitions_def, dg.DynamicPartitionsDefinition)  # extended to what Nomis has published
    assert raw.backfill_policy == dg.BackfillPolicy.single_run()  # backfills run as one range, from UI or CLI
    schedule = d.resolve_schedule_def("nightly_refresh")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.cron_schedule == "30 6 * * *" and schedule.execution_timezone == "Europe/London"
    assert schedule.job_name == "observe_upstream_releases"  # it observes; the sensor decides what to run
    sensor = d.resolve_sensor_def("refresh_on_release")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING and sensor.job_name == "lmi_refresh"
    # Each upstream is an observable source asset, and the raw tables loaded from it depend on it.
    graph = d.resolve_asset_graph()
    for upstream in UPSTREAMS:
        assert graph.get(upstream.key).is_observable and not graph.get(upstream.key).is_materializable
        for source in upstream.sources:
            assert upstream.key in graph.get(dg.AssetKey(source)).parent_keys, source
    raw = {k.to_user_string() for k in graph.materializable_asset_keys if k.to_user_string().startswith("raw_")}
    assert raw == {s for u in UPSTREAMS for s in u.sources}  # every raw source is watched, none twice
    specs = {s.key.to_user_string(): s for s in d.resolve_all_asset_specs()}
    assert specs["raw_claimant_count"].freshness_policy is not None
    checks = {spec.name for c in d.asset_checks for spec in c.check_specs}
    blocking = {spec.name: spec.blocking for c in d.asset_checks for spec in c.check_specs}
    assert all(blocking[name] for name in blocking if name != "source_is_current")
    assert blocking["source_is_current"] is False  # a stale source warns; it never stops the others
    assert {"every_ward_every_month", "counts_are_rounded_to_five", "no_unexplained_jumps", "rates_are_consistent",
            "no_duplicate_keys", "benchmarks_present", "one_source_mode"} <= checks


def test_incremental_refresh_fetches_only_the_new_month_and_detects_a_revision(httpserver, tmp_path):
    up = SwitchableUpstream(httpserver, UpstreamSim(World.for_districts(TEST_DISTRICTS, latest_month="2026-09")))
    up.sim.nomis.released = "2026-10-15 09:30:00"
    settings = live_settings(make_project(tmp_path), up.sim, up.root)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, instance=instance).success
        keys = instance.get_dynamic_partitions("claimant_months")
        # One partition per published month, oldest first, and none for a month still to come.
        assert keys[0] == "2013-01-01" and keys[-1] == "2026-09-01" and len(keys) == len(set(keys)) == 165

        # Nothing released: the nightly run is a no-op after a release-stamp request per source.
        seen = len(up.sim.log)
        plan, result = _refresh(settings, instance)
        asked = up.sim.log[seen:]
        stamped = [u for u in UPSTREAMS if u.service == "nomis"]
        nomis_asked = [p for p in asked if p.startswith("/nomis/")]
        assert result is None and plan.requests == len(asked) <= len(stamped) + 3
        assert len(nomis_asked) == len(stamped)  # one release stamp per Nomis source
        assert all(p.endswith(".def.sdmx.json") for p in nomis_asked)  # metadata only, no data
        assert not any(".data.csv" in p or "/csv" in p for p in asked)  # nor DfE's data set CSV
        assert "unchanged" in plan.skipped["raw_claimant_count"] and "unchanged" in plan.skipped["raw_neet"]

        # November's release: October is new; September is revised (Nomis revises the previous month).
        world = World.for_districts(TEST_DISTRICTS, latest_month="2026-10")
        gensing = world.index["E05011207"]
        world.claimants["total"][gensing, world.months.index("2026-09")] += 40
        up.release("2026-10", "2026-11-17 09:30:00", world)
        plan, result = _refresh(settings, instance, revision_window=2)
        assert result.success, failure_messages(result)
        data = up.data_requests()
        assert len(data) == 1 and "time=2026-09,2026-10" in data[0]  # not the history
        revised = result.asset_materializations_for_node("raw_claimant_count")[0].metadata["revised_months"].value
        assert revised == ["2026-09"]
        assert instance.get_dynamic_partitions("claimant_months")[-2:] == ["2026-09-01", "2026-10-01"]  # extended

    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        assert conn.execute("SELECT max(period) FROM ward_indicators").fetchone()[0].isoformat() == "2026-10-01"
        rev = conn.execute("SELECT period, cells_changed, cells_added, cells_removed FROM source_revisions").fetchall()
        assert rev and rev[0][0] == "2026-09" and rev[0][1] >= 1 and rev[0][2:] == (0, 0)
        prov = conn.execute("SELECT revised_periods FROM provenance WHERE revised_periods IS NOT NULL").fetchall()
        assert prov == [("2026-09",)]
        # Re-running a month replaces it: one row per ward x month x age x measure, never two.
        dupes = conn.execute("""SELECT count(*) FROM (SELECT DATE, GEOGRAPHY_CODE, AGE, MEASURE FROM raw_claimant_count
                                GROUP BY ALL HAVING count(*) > 1)""").fetchone()[0]
        months = conn.execute("SELECT count(DISTINCT DATE) FROM raw_claimant_count").fetchone()[0]
    assert dupes == 0 and months == len(World.for_districts(TEST_DISTRICTS, latest_month="2026-10").months)


def test_revision_window_of_one_fetches_just_the_new_month(httpserver, tmp_path):
    up = SwitchableUpstream(httpserver, UpstreamSim(World.for_districts(TEST_DISTRICTS, latest_month="2026-09")))
    up.sim.nomis.released = "2026-10-15 09:30:00"
    settings = live_settings(make_project(tmp_path), up.sim, up.root)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_pipeline(settings, instance=instance).success
        up.release("2026-10", "2026-11-17 09:30:00")
        plan, result = _refresh(settings, instance, revision_window=1)
        assert result.success
        assert plan.partition_tags() == {RANGE_START: "2026-10-01", RANGE_END: "2026-10-01"}
        assert [("time=2026-10,2026-10" in p) for p in up.data_requests()] == [True]


def _digest(settings):
    files = [settings.published_db] + sorted(p for p in settings.assets_dir.rglob("*") if p.is_file())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_failing_check_blocks_publishing(httpserver, sim, tmp_path):
    """A served count that is not a multiple of 5 fails a blocking check: nothing is published."""
    handler = sim_handler(sim)
    state = {"bad": False}

    def maybe_bad(request):
        response = handler(request)
        if state["bad"] and "NM_162_1.data.csv" in request.path:
            body = response.get_data(as_text=True)
            body = re.sub(r'("E05011207","2024 wards","Total",0,"All categories: Age 16\+",1,"Claimant count","Value",)'
                          r'(\d+)(,)',
                          lambda m: m.group(1) + str(int(m.group(2)) + 1) + m.group(3), body, count=1)
            return Response(body, status=200, content_type="text/csv")
        return response

    httpserver.expect_request(re.compile(".*")).respond_with_handler(maybe_bad)
    settings = live_settings(make_project(tmp_path), sim, httpserver.url_for("/").rstrip("/"))
    assert run_pipeline(settings).success
    before = _digest(settings)
    state["bad"] = True
    result = run_pipeline(settings, raise_on_error=False)
    assert not result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["counts_are_rounded_to_five"], [(e.asset_key, e.metadata) for e in failed]
    assert failed[0].metadata["failing_rows"].value >= 1  # one altered row per page served
    assert not result.asset_materializations_for_node("published_database")
    assert _digest(settings) == before


# -- each check against crafted data -------------------------------------------------------------------

@pytest.fixture
def crafted(tmp_path):
    """A small working database with consistent tables; each test breaks one thing."""
    from lmi_pipeline.database.storage import WarehouseResource

    db = tmp_path / "work.duckdb"
    with duckdb.connect(str(db)) as c:
        c.execute("""CREATE TABLE ward_lookup AS SELECT * FROM (VALUES
            ('E05000001', 'Alpha', 2023, 'E07000001', 'E10000001', 'E12000001', 'E92000001'),
            ('E05000002', 'Beta', 2023, 'E07000001', 'E10000001', 'E12000001', 'E92000001'))
            t(ward_code, ward_name, ward_vintage, lad_code, county_code, region_code, country_code)""")
        c.execute("""CREATE TABLE districts AS SELECT 'E07000001' AS lad_code, 'One' AS lad_name,
            [{'level': 'county', 'code': 'E10000001', 'name': 'Shire'},
             {'level': 'region', 'code': 'E12000001', 'name': 'North'},
             {'level': 'country', 'code': 'E92000001', 'name': 'England'}] AS benchmarks""")
        c.execute("""CREATE TABLE provenance AS SELECT 'q1' AS query_id, 'raw_claimant_count' AS source_asset,
            'NM_162_1' AS dataset, 'live official statistics' AS data_label, 'live' AS source_mode""")
        c.execute("""CREATE TABLE claimant_count AS
            SELECT code AS area_code, level AS area_level, CASE level WHEN 'ward' THEN 2023 END AS ward_vintage,
                   make_date(2025, m, 1) AS period, '16+' AS age_band, 'count' AS measure, value * (1 + m / 100) AS value
            FROM (VALUES ('E05000001', 'ward', 100.0), ('E05000002', 'ward', 200.0), ('E92000001', 'country', 10000.0))
                 a(code, level, value), range(1, 7) r(m)""")
        c.execute("UPDATE claimant_count SET value = round(value / 5) * 5")
        c.execute("""CREATE TABLE area_indicators AS SELECT * FROM (VALUES
            ('E05000001', 'claimant_rate', DATE '2025-01-01', 5.0, 100.0, 2000.0, '%', 'official', 'NM_162_1'),
            ('E05000001', 'claimant_rate_16_24', DATE '2025-01-01', 6.7, 20.0, 300.0, '%', 'derived', 'NM_162_1 / NM_2014_1'))
            t(area_code, indicator, period, value, numerator, denominator, unit, status, source_dataset)""")
        c.execute("""INSERT INTO area_indicators (area_code, indicator, period, value, unit, status, source_dataset)
            SELECT code, 'claimant_rate', make_date(2025, m, 1), 4.0, '%', 'official', 'NM_162_1'
            FROM (VALUES ('E07000001'), ('E10000001'), ('E12000001'), ('E92000001')) a(code), range(1, 3) r(m)""")
        c.execute("""CREATE TABLE ward_indicators AS SELECT * FROM (VALUES
            ('E05000001', 2023, 'claimant_rate', DATE '2025-01-01', 5.0, 4.0, 3.5, 3.0, 4.1))
            t(ward_code, ward_vintage, indicator, period, value, lad_value, county_value, region_value, country_value)""")
        c.execute("ALTER TABLE ward_indicators ADD COLUMN lad_code VARCHAR DEFAULT 'E07000001'")
    return WarehouseResource(database=str(db)), db


def _check(name, warehouse, **resources):
    from lmi_pipeline.defs import checks

    return getattr(checks, name)(warehouse=warehouse, **resources) if resources else getattr(checks, name)(warehouse=warehouse)


def _project(tmp_path):
    from lmi_pipeline.project import ProjectResource

    (tmp_path / "lmi.toml").write_text('[[local_authority]]\ncode = "E07000001"\n[analysis]\nmax_monthly_jump_pct = 50\n')
    return ProjectResource(areas_file=str(tmp_path / "lmi.toml"))


CHECK_CASES = {
    "every_ward_every_month": ("DELETE FROM claimant_count WHERE area_code = 'E05000002' AND period = DATE '2025-03-01'", {}),
    "counts_are_rounded_to_five": ("UPDATE claimant_count SET value = value + 2 WHERE area_code = 'E05000001' "
                                   "AND period = DATE '2025-02-01'", {}),
    "rates_are_consistent": ("UPDATE area_indicators SET value = 6.5 WHERE indicator = 'claimant_rate_16_24'", {}),
    "no_duplicate_keys": ("INSERT INTO ward_indicators SELECT * FROM ward_indicators", {}),
    # East Sussex published for February but not for January: a broken benchmark, not one never published
    "benchmarks_present": ("DELETE FROM area_indicators WHERE area_code = 'E10000001' AND period = DATE '2025-01-01'",
                           {}),
    "one_source_mode": ("UPDATE provenance SET data_label = 'synthetic demo data'", {}),
    "no_unexplained_jumps": ("UPDATE claimant_count SET value = value * 2 WHERE area_code = 'E05000002' "
                             "AND period >= DATE '2025-04-01'", {"project": True}),
}


@pytest.mark.parametrize("check", sorted(CHECK_CASES))
def test_each_check_passes_clean_data_and_fails_crafted_bad_data(crafted, tmp_path, check):
    warehouse, db = crafted
    breakage, needs = CHECK_CASES[check]
    extra = {"project": _project(tmp_path)} if needs else {}
    assert _check(check, warehouse, **extra).passed
    with duckdb.connect(str(db)) as c:
        c.execute(breakage)
    result = _check(check, warehouse, **extra)
    assert not result.passed and result.metadata["failing_rows"].value >= 1
