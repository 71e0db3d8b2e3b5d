"""DfE NEET 16-17 through the EES API on a real local HTTP server: discovery with paging, both file
layouts (2025 and 2026 column names), `c`/`z` symbols as NULL with a flag, and clear failures."""

import re

import duckdb
import pytest
from werkzeug import Response

from lmi_pipeline.clients.dfe import NEET_DATA_SET, NEET_PUBLICATION, DfeResource
from lmi_pipeline.clients.transport import UpstreamHTTPError
from lmi_pipeline.defs.indicators import area_indicators
from lmi_demo.dfe_sim import COLUMNS_2025, COLUMNS_2026, DATASET_2025, DATASET_2026, DfeSim
from lmi_demo.server import UpstreamSim
from lmi_pipeline.runs import failure_messages
from lmi_pipeline.sql import load_sql
from tests.conftest import live_settings, make_project, sim_handler
from tests.sources_helpers import materialize_upstream_of, served_neet

EAST_SUSSEX, KENT = "E10000011", "E10000016"


def _step_failure(result) -> str:
    """The failed step's message (a run may also report a run-level failure after it)."""
    steps = [m for m in failure_messages(result) if not m.startswith("run:")]
    assert len(steps) == 1, steps
    return steps[0]


def _dfe(upstream: str, sim: UpstreamSim, **kw) -> DfeResource:
    return DfeResource(base_url=sim.base_urls(upstream)["DFE_BASE_URL"], source_mode="live", backoff_seconds=0.01,
                       max_retries=1, **kw)


def test_data_set_is_found_by_title_across_pages(upstream, sim):
    dfe = _dfe(upstream, sim, page_size=1)  # one result per page: every list is paged through
    publication = dfe.find_publication(NEET_PUBLICATION)
    data_set = dfe.find_data_set(publication, NEET_DATA_SET)
    assert data_set["id"] == DATASET_2026  # the 2019-2025 set is superseded
    assert any("data-sets?page=2&pageSize=1" in p for p in sim.log)  # two data sets, two pages
    everything = dfe.paged("publications", (("search", "NEET"),))
    assert len(everything) == 3 and any("publications?search=NEET&page=3&pageSize=1" in p for p in sim.log)
    table, resp = dfe.data_set_csv(data_set["id"], data_set["latestVersion"]["version"])
    assert table.column_names[-len(COLUMNS_2026):] == COLUMNS_2026
    assert all(str(t) == "string" for t in table.schema.types) and table.num_rows == data_set["latestVersion"]["totalResults"]
    assert "dataSetVersion=1.0" in resp.request.url


def test_ees_errors_are_raised_with_the_url(upstream, sim):
    dfe = _dfe(upstream, sim)
    with pytest.raises(UpstreamHTTPError, match=r"HTTP 404.*data-sets/no-such-id|data-sets/no-such-id.*HTTP 404"):
        dfe.data_set("no-such-id")


def _neet_run(tmp_path, httpserver, dfe_sim: DfeSim, mangle=None):
    sim = UpstreamSim()
    sim.dfe = dfe_sim
    handler = sim_handler(sim)

    def serve(request):
        response = handler(request)
        if mangle and request.path.endswith("/csv"):
            return Response(mangle(response.get_data(as_text=True)), status=200, content_type="text/csv")
        return response

    httpserver.expect_request(re.compile(".*")).respond_with_handler(serve)
    settings = live_settings(make_project(tmp_path), sim, httpserver.url_for("/").rstrip("/"))
    return sim, settings, materialize_upstream_of(settings, "neet_participation", raise_on_error=False)


def _canonical(settings) -> list[tuple]:
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        return conn.execute("""SELECT area_code, area_level, year, age, characteristic, measure, value, symbol
            FROM neet_participation WHERE year <= 2025 ORDER BY ALL""").fetchall()


@pytest.fixture(scope="module")
def both_schemas(tmp_path_factory):
    from pytest_httpserver import HTTPServer

    out = {}
    for schema in (2025, 2026):
        server = HTTPServer()
        server.start()
        try:
            sim, settings, result = _neet_run(tmp_path_factory.mktemp(f"neet{schema}"), server, DfeSim(schema=schema))
            assert result.success, failure_messages(result)
            out[schema] = (sim, settings)
        finally:
            server.clear()
            server.stop()
    return out


def test_both_file_layouts_give_the_same_table(both_schemas):
    (sim25, s25), (sim26, s26) = both_schemas[2025], both_schemas[2026]
    assert list(served_neet(sim25, DATASET_2025)[0])[-len(COLUMNS_2025):] == COLUMNS_2025  # avgNEETNK, Age...
    assert served_neet(sim25, DATASET_2025)[0]["Age"] == "16-17"
    assert served_neet(sim26, DATASET_2026)[0]["age"] == "16 to 17"
    old, new = _canonical(s25), _canonical(s26)
    assert old and old == new  # same numbers, same names, whichever layout DfE served
    with duckdb.connect(str(s25.work_db), read_only=True) as conn:
        assert conn.execute("SELECT DISTINCT schema_version FROM neet_participation").fetchall() == [("2025",)]
        raw = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'raw_neet'").fetchall()]
    assert "avgNEETNK" in raw and "avg_neet_nk_count" not in raw  # raw is exactly as served


def test_only_upper_tier_areas_of_the_configured_districts(both_schemas):
    _, settings = both_schemas[2026]
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        areas = conn.execute("SELECT DISTINCT area_code, area_level FROM neet_participation ORDER BY 1").fetchall()
    assert areas == [(EAST_SUSSEX, "county"), (KENT, "county"), ("E12000008", "region"), ("E92000001", "country")]


def test_symbols_become_null_with_a_flag(both_schemas):
    sim, settings = both_schemas[2026]
    served = [r for r in served_neet(sim, DATASET_2026) if r["new_la_code"] == EAST_SUSSEX and r["time_period"] == "2021"
              and r["age"] == "16" and r["characteristic"] == "Female"]
    assert served[0]["avg_nk_count"] == "c"
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        rows = conn.execute("""SELECT measure, value, symbol, is_suppressed FROM neet_participation
            WHERE area_code = ? AND year = 2021 AND age = '16' AND characteristic = 'Female'
            AND measure IN ('avg_nk_count', 'nk_percent', 'avg_neet_count') ORDER BY measure""", [EAST_SUSSEX]).fetchall()
        first_year = conn.execute("""SELECT DISTINCT value, symbol, is_suppressed FROM neet_participation
            WHERE year = 2019 AND measure = 'annual_change_neet_nk_percent'""").fetchall()
    assert rows == [("avg_neet_count", float(served[0]["avg_neet_count"]), None, False),
                    ("avg_nk_count", None, "c", True), ("nk_percent", None, "c", True)]
    assert first_year == [(None, "z", False)]  # not applicable: there is no year before


def test_suppressed_headline_is_null_in_the_indicator_never_zero(tmp_path, httpserver):
    sim, settings, result = _neet_run(tmp_path, httpserver, DfeSim(suppress={(EAST_SUSSEX, 2024)}))
    assert result.success, failure_messages(result)
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        figures = conn.execute(f"""SELECT area_code, year(period), indicator, value, numerator, obs_status
            FROM ({load_sql(area_indicators.__file__, 'figures_neet')}) WHERE area_code = ?
            AND year(period) IN (2024, 2025) ORDER BY ALL""", [EAST_SUSSEX]).fetchall()
    served = {r["time_period"]: r for r in served_neet(sim, DATASET_2026) if r["new_la_code"] == EAST_SUSSEX
              and r["age"] == "16 to 17" and r["characteristic"] == "Total"}
    assert figures[:2] == [(EAST_SUSSEX, 2024, "neet_16_17", float(served["2024"]["neet_percent"]),
                            float(served["2024"]["avg_neet_count"]), None),
                           (EAST_SUSSEX, 2024, "neet_nk_16_17", None, None, "c")]
    assert figures[3] == (EAST_SUSSEX, 2025, "neet_nk_16_17", float(served["2025"]["neet_nk_percent"]),
                          float(served["2025"]["avg_neet_nk_count"]), None)


def test_renamed_columns_are_refused_by_name(tmp_path, httpserver):
    _, _, result = _neet_run(tmp_path, httpserver, DfeSim(),
                             mangle=lambda text: text.replace("avg_neet_nk_count", "neet_or_nk_avg", 1))
    assert not result.success
    message = _step_failure(result)
    assert message.startswith("raw_neet: UpstreamFormatError") and "avg_neet_nk_count" in message
    assert "NEET_COLUMNS" in message


def test_unknown_symbol_stops_the_run(tmp_path, httpserver):
    _, _, result = _neet_run(tmp_path, httpserver, DfeSim(),
                             mangle=lambda text: re.sub(r"(East Sussex,16 to 17,Total,Total,\d+,)\d+", r"\1!!", text,
                                                        count=1))
    assert not result.success
    message = _step_failure(result)
    assert message.startswith("neet_participation: UpstreamFormatError") and "'!!'" in message
