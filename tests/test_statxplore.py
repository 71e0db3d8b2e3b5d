"""DWP Stat-Xplore: the client against a real local HTTP server, the parser on real recorded bodies, and the
optional UC conditionality source with and without STATXPLORE_API_KEY. The key never leaves the request."""

import json
import logging
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from lmi_pipeline.clients.statxplore import StatXploreResource, cells, tidy_rows
from lmi_pipeline.clients.transport import UpstreamHTTPError
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.resources import build_resources
from lmi_pipeline.defs.sources.uc_conditionality import raw_uc_conditionality
from lmi_pipeline.defs.warehouse.uc_conditionality import uc_conditionality
from lmi_pipeline.settings import load_settings
from lmi_pipeline.sources import uc_conditionality as uc

FIXTURES = Path(__file__).parent / "fixtures" / "statxplore"
KEY = "sx-TEST-key/with+odd=chars"
REGION = "str:field:UC_Households:V_F_UC_HOUSEHOLDS:COA_CODE"
MONTH = "str:field:UC_Households:F_UC_DATE:DATE_NAME"
FAMILY = "str:field:UC_Households:V_F_UC_HOUSEHOLDS:HNFAMILY_TYPE"


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def resource(httpserver, tmp_path, mode="live", key=KEY, **kw) -> StatXploreResource:
    return StatXploreResource(base_url=httpserver.url_for("/webapi/rest/v1"), api_key=key, source_mode=mode,
                              snapshot_dir=str(tmp_path / "snap"), max_retries=kw.pop("max_retries", 0),
                              backoff_seconds=0.01, **kw)


def test_parser_turns_the_real_response_into_tidy_rows():
    doc = json.loads(body("example_a_table_response.json"))
    rows = tidy_rows(doc, REGION, MONTH, FAMILY)
    # 9 regions x 4 months x (5 family types + total); the region total is left out
    assert len(rows) == 9 * 4 * 6
    first = rows[0]
    assert first == {"area_code": "E12000001", "area_name": "North East", "period": "2018-05",
                     "category_code": "1", "category": "Single, no child dependant", "value": 36393.0}
    total = next(r for r in rows if r["area_code"] == "E12000001" and r["period"] == "2018-05"
                 and r["category_code"] == "total")
    assert total["value"] == 50001.0
    assert {r["period"] for r in rows} == {"2018-05", "2018-06", "2018-07", "2018-08"}


def test_parser_reads_every_measure_cube():
    doc = json.loads(body("example_b_table_response.json"))
    measures = {c.measure for c in cells(doc)}
    assert measures == set(doc["cubes"])
    assert len(list(cells(doc))) == 2 * 10 * 4


def test_table_posts_the_query_with_the_key_header(httpserver, tmp_path):
    query = json.loads(body("example_a_table_request.json"))
    httpserver.expect_request("/webapi/rest/v1/table", method="POST", headers={"APIKey": KEY},
                              json=query).respond_with_data(body("example_a_table_response.json"),
                                                            content_type="application/json;charset=UTF-8")
    sx = resource(httpserver, tmp_path)
    doc, response = sx.table(query)
    assert response.status == 200 and doc["database"]["id"] == "UC_Households"
    assert len(tidy_rows(doc, REGION, MONTH, FAMILY)) == 216
    httpserver.check_assertions()


@pytest.mark.parametrize("status, words", [(401, "refused the API key"), (403, "refused the API key"),
                                           (429, "hourly request allowance")])
def test_errors_name_stat_xplore_say_what_to_do_and_hide_the_key(httpserver, tmp_path, status, words, caplog):
    # The server echoes the key back, as a misbehaving one might: it must be masked too.
    httpserver.expect_request("/webapi/rest/v1/table", method="POST").respond_with_data(
        f'{{"message": "bad key {KEY}"}}', status=status, content_type="application/json")
    sx = resource(httpserver, tmp_path)
    with caplog.at_level(logging.DEBUG), pytest.raises(UpstreamHTTPError) as err:
        sx.table({"database": "str:database:UC_Monthly"})
    message = str(err.value)
    assert "Stat-Xplore" in message and words in message and err.value.status == status
    if status != 429:
        assert "STATXPLORE_API_KEY" in message
    assert KEY not in message and "APIKey: ***" in message
    assert KEY not in caplog.text


def test_the_key_is_never_in_logs_snapshots_or_provenance(httpserver, tmp_path, caplog):
    query = json.loads(body("example_a_table_request.json"))
    httpserver.expect_request("/webapi/rest/v1/table", method="POST").respond_with_data(
        body("example_a_table_response.json"), content_type="application/json")
    sx = resource(httpserver, tmp_path, mode="record")
    with caplog.at_level(logging.DEBUG):
        with sx.transport().collect() as fetched:
            doc, response = sx.table(query)
    assert KEY not in caplog.text and KEY not in repr(response.request) and KEY not in repr(fetched)
    snapshot = list((tmp_path / "snap").rglob("*"))
    assert snapshot and all(KEY.encode() not in p.read_bytes() for p in snapshot if p.is_file())
    # Replay: no network, a different key (or none needed at all to match), same bytes.
    httpserver.clear()
    replay = resource(httpserver, tmp_path, mode="demo", key="another")
    doc2, _ = replay.table(query)
    assert doc2 == doc
    # Provenance rows
    from lmi_pipeline.sources.request_log import log_requests
    conn = duckdb.connect()
    log_requests(conn, "raw_uc_conditionality", fetched, datasets={"table": "UC_Monthly"})
    assert KEY not in repr(conn.execute("SELECT * FROM source_requests").fetchall())
    # Settings never show it either.
    assert KEY not in repr(load_settings({"STATXPLORE_API_KEY": KEY}))


def _warehouse(tmp_path) -> WarehouseResource:
    db = tmp_path / "work.duckdb"
    with duckdb.connect(str(db)) as conn:
        # Two boundary sets: Stat-Xplore holds only the newest, so the 2022-only ward is never asked for.
        conn.execute("CREATE TABLE ward_lookup AS SELECT * FROM (VALUES ('E05000001', 'Ward A', 2024, 'E07000001'), "
                     "('E05000002', 'Ward B', 2024, 'E07000001'), ('E05000002', 'Ward B', 2022, 'E07000001'), "
                     "('E05000099', 'Old ward', 2022, 'E07000001')) t(ward_code, ward_name, ward_vintage, lad_code)")
        conn.execute("ALTER TABLE ward_lookup ADD COLUMN country_code VARCHAR DEFAULT 'E92000001'")
    return WarehouseResource(database=str(db))


def _status(tmp_path):
    with duckdb.connect(str(tmp_path / "work.duckdb")) as conn:
        status = conn.execute("SELECT outcome, reason, upstream FROM source_status "
                              "WHERE source_asset = 'raw_uc_conditionality'").fetchone()
        rows = conn.execute("SELECT * FROM raw_uc_conditionality ORDER BY ALL").fetchall()
    return status, rows


def test_without_a_key_nothing_is_requested_nothing_fails_and_status_says_a_key_is_needed(httpserver, tmp_path):
    sx = resource(httpserver, tmp_path, key=None)
    result = dg.materialize([raw_uc_conditionality], resources={"statxplore": sx, "warehouse": _warehouse(tmp_path)})
    assert result.success
    assert httpserver.log == []  # nothing was asked
    (outcome, reason, upstream), rows = _status(tmp_path)
    assert outcome == "needs_key" and "STATXPLORE_API_KEY" in reason and upstream == "statxplore:UC_Monthly"
    assert rows == []


def test_the_configured_resources_have_no_key_unless_the_environment_gives_one(tmp_path):
    settings = load_settings({"LMI_PROJECT_DIR": str(tmp_path)})
    assert not build_resources(settings)["statxplore"].has_key()
    keyed = build_resources(load_settings({"LMI_PROJECT_DIR": str(tmp_path), "STATXPLORE_API_KEY": KEY,
                                           "STATXPLORE_URL": "http://127.0.0.1:1/x"}))["statxplore"]
    assert keyed.has_key() and keyed.base_url == "http://127.0.0.1:1/x"


def _uc_response(query: dict) -> bytes:
    """A response in the real format (fields/items/cubes, as the recorded bodies) for the UC query."""
    areas = [m[0] for m in query["recodes"][uc.WARD_FIELD]["map"]]
    months = ["202501", "202502"]
    regimes = [("1", "Searching for work"), ("2", "No work requirements")]
    fields = [
        {"uri": uc.WARD_FIELD, "label": "Ward", "items": [
            {"type": "RecodeItem", "uris": [a], "labels": [f"Area {a[-1]}"]} for a in areas]},
        {"uri": uc.DATE_FIELD, "label": "Month", "items": [
            {"type": "RecodeItem", "uris": [f"str:value:UC_Monthly:F_UC_DATE:DATE_NAME:C_UC_DATE:{m}"],
             "labels": [m]} for m in months]},
        {"uri": uc.REGIME_FIELD, "label": "Conditionality Regime", "items": [
            {"type": "RecodeItem", "uris": [f"{uc.REGIME_FIELD.replace('field', 'value', 1)}:C_REGIME:{c}"],
             "labels": [label]} for c, label in regimes]},
    ]
    values = [[[100.0 * (w + 1) + 10 * m + r for r in range(2)] for m in range(2)] for w in range(len(areas))]
    return json.dumps({"query": query, "fields": fields, "cubes": {uc.MEASURE: {"values": values}}}).encode()


def test_with_a_key_the_latest_month_per_ward_and_regime_is_loaded_with_provenance(httpserver, tmp_path):
    query = uc.conditionality_query(["E05000001", "E05000002"], ["E07000001"], ["E92000001"])
    httpserver.expect_request("/webapi/rest/v1/table", method="POST", headers={"APIKey": KEY},
                              json=query).respond_with_data(_uc_response(query), content_type="application/json")
    result = dg.materialize([raw_uc_conditionality, uc_conditionality],
                            resources={"statxplore": resource(httpserver, tmp_path),
                                       "warehouse": _warehouse(tmp_path)})
    assert result.success
    (outcome, reason, upstream), rows = _status(tmp_path)
    assert (outcome, reason, upstream) == ("fresh", None, "statxplore:UC_Monthly")
    with duckdb.connect(str(tmp_path / "work.duckdb")) as conn:
        tidy = conn.execute("SELECT area_code, area_level, ward_vintage, period::VARCHAR, regime_id, people "
                            "FROM uc_conditionality ORDER BY ALL").fetchall()
    assert tidy == [("E05000001", "ward", 2024, "2025-02-01", "no_work_requirements", 111.0),
                    ("E05000001", "ward", 2024, "2025-02-01", "searching_for_work", 110.0),
                    ("E05000002", "ward", 2024, "2025-02-01", "no_work_requirements", 211.0),
                    ("E05000002", "ward", 2024, "2025-02-01", "searching_for_work", 210.0),
                    ("E07000001", "lad", None, "2025-02-01", "no_work_requirements", 311.0),
                    ("E07000001", "lad", None, "2025-02-01", "searching_for_work", 310.0),
                    ("E92000001", "country", None, "2025-02-01", "no_work_requirements", 411.0),
                    ("E92000001", "country", None, "2025-02-01", "searching_for_work", 410.0)]
    # The values asked for: the newest boundaries' wards, then their district and country, by their valuesets.
    assert [m[0].rsplit(":", 2)[-2:] for m in query["recodes"][uc.WARD_FIELD]["map"]] == [
        ["V_C_MASTERGEOG21_WARD_TO_LA", "E05000001"], ["V_C_MASTERGEOG21_WARD_TO_LA", "E05000002"],
        ["V_C_MASTERGEOG21_LA_TO_REGION", "E07000001"], ["V_C_MASTERGEOG21_COUNTRY_TO_GB", "E92000001"]]
    assert [r[:6] for r in rows] == [
        ("E05000001", "Area 1", "2025-02", "1", "Searching for work", "110"),
        ("E05000001", "Area 1", "2025-02", "2", "No work requirements", "111"),
        ("E05000002", "Area 2", "2025-02", "1", "Searching for work", "210"),
        ("E05000002", "Area 2", "2025-02", "2", "No work requirements", "211"),
        ("E07000001", "Area 1", "2025-02", "1", "Searching for work", "310"),
        ("E07000001", "Area 1", "2025-02", "2", "No work requirements", "311"),
        ("E92000001", "Area 1", "2025-02", "1", "Searching for work", "410"),
        ("E92000001", "Area 1", "2025-02", "2", "No work requirements", "411"),
    ]
    with duckdb.connect(str(tmp_path / "work.duckdb")) as conn:
        prov = conn.execute("SELECT query_id, url, parameters FROM source_requests").fetchall()
    assert len(prov) == 1 and prov[0][0] == rows[0][6] and KEY not in repr(prov)


def test_with_a_refused_key_the_source_degrades_and_the_run_goes_on(httpserver, tmp_path):
    httpserver.expect_request("/webapi/rest/v1/table", method="POST").respond_with_data("nope", status=401)
    result = dg.materialize([raw_uc_conditionality],
                            resources={"statxplore": resource(httpserver, tmp_path),
                                       "warehouse": _warehouse(tmp_path)})
    assert result.success
    (outcome, reason, _), rows = _status(tmp_path)
    assert outcome == "unavailable" and "refused the API key" in reason and KEY not in reason and rows == []
