"""MHCLG's IoD 2025 File 7: the parser and its validation on real values (tests/fixtures/mhclg, MHCLG's headers
restored) and on synthetic bodies in the File 7 layout; the source asset over a real local HTTP server (a good
file, then an HTML page, a 404 and a short file, each refused with the file named and the last good load kept);
and the ward, district and England aggregation of real Hastings values by the real ONS LSOA -> ward lookup."""

import csv
import hashlib
import io
import re
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from lmi_demo.mhclg_sim import MhclgSim
from lmi_demo.world import World
from lmi_pipeline.clients.mhclg import (ENGLISH_LSOAS_2021, FILE7_COLUMNS, FILE7_HEADERS, FILE7_NAME, FILE7_PATH,
                                        MhclgResource, parse_file7)
from lmi_pipeline.clients.transport import Response, UpstreamFormatError
from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.indicators import area_indicators
from lmi_pipeline.defs.resources import build_resources
from lmi_pipeline.defs.sources.deprivation import raw_iod
from lmi_pipeline.defs.warehouse.deprivation import iod_lsoa
from lmi_pipeline.settings import load_settings

FIXTURES = Path(__file__).parent / "fixtures" / "mhclg"
REAL = FIXTURES / "iod2025_hastings_lsoa21__humaniverse_IMD.csv"
LOOKUP = FIXTURES / "ons_LSOA21_WD23_LAD23_lookup__Hastings.csv"
# humaniverse/IMD's names -> MHCLG's File 7 headers (its data-raw/imd2025_england_lsoa21.R renames them so).
PACKAGE_NAMES = {"lsoa21_code": "lsoa_code", "IMD_score": "imd_score", "IMD_rank": "imd_rank",
                 "IMD_decile": "imd_decile", "Income_score": "income_score", "Income_rank": "income_rank",
                 "Income_decile": "income_decile", "Employment_score": "employment_score",
                 "Employment_rank": "employment_rank", "Employment_decile": "employment_decile"}
HASTINGS = "E07000062"


def _real_rows() -> list[dict]:
    with REAL.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _body(rows: list[dict], headers: list[str] = FILE7_HEADERS) -> bytes:
    """A CSV in the File 7 layout: `rows` give values by our column names (FILE7_COLUMNS); every other column
    gets a stand-in made up here (the fixture does not have them)."""
    ours = {header: name for name, header in FILE7_COLUMNS.items()}
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(headers)
    for r in rows:
        out.writerow([r.get(ours.get(h, ""), "0.5") for h in headers])
    return buf.getvalue().encode("utf-8")


def _with_denominators(row: dict, total: int = 1500, working_age: int = 900) -> dict:
    """A real row with stand-in names and population denominators (made up here: the fixture has none)."""
    return {**row, "lsoa_name": "Stand-in 001A", "lad_code": HASTINGS, "population_total": str(total),
            "population_0_15": "270", "population_60_plus": "360", "population_working_age": str(working_age)}


def _response(body: bytes, content_type: str = "text/csv", origin: str = "live") -> Response:
    return Response(MhclgResource().file7_request(), 200, content_type, body, datetime.now(timezone.utc), origin)


def _real_file7_rows() -> list[dict]:
    return [_with_denominators({PACKAGE_NAMES[k]: v for k, v in r.items()}) for r in _real_rows()]


# -- the parser on real values -------------------------------------------------------------------------------

def test_real_values_come_through_the_parser_exactly():
    table = parse_file7(_response(_body(_real_file7_rows())), expected_rows=0)
    got = {r["lsoa_code"]: r for r in table.to_pylist()}
    assert table.num_rows == 56 and table.column_names == list(FILE7_COLUMNS)
    # Hastings 005C as MHCLG publishes it: IMD 42.079 (rank 4035, decile 2), Income 0.380 (rank 6053),
    # Employment 0.237 (rank 4386, decile 2).
    spot = got["E01020977"]
    assert [spot[c] for c in ("imd_score", "imd_rank", "imd_decile", "income_score", "income_rank",
                              "employment_score", "employment_rank", "employment_decile")] == [
        "42.079", "4035", "2", "0.380", "6053", "0.237", "4386", "2"]
    # The most deprived LSOA of England on each: IMD E01021988 (94.223), Income E01001826, Employment E01001762.
    assert [c for c, r in got.items() if r["imd_rank"] == "1"] == ["E01021988"]
    assert [c for c, r in got.items() if r["income_rank"] == "1"] == ["E01001826"]
    assert [(c, r["employment_score"]) for c, r in got.items() if r["employment_rank"] == "1"] == [("E01001762", "0.978")]


def test_the_real_subset_without_denominators_is_refused_naming_them():
    """humaniverse's copy of File 7 kept no population denominators: a body like it is not File 7."""
    rows = [{PACKAGE_NAMES[k]: v for k, v in r.items()} for r in _real_rows()]
    headers = [FILE7_COLUMNS[c] for c in PACKAGE_NAMES.values()]
    with pytest.raises(UpstreamFormatError) as err:
        parse_file7(_response(_body(rows, headers)), expected_rows=0)
    message = str(err.value)
    assert message.startswith(FILE7_NAME) and "6 expected column(s) missing" in message
    assert "'Total population: mid 2022'" in message and "'LSOA name (2021)'" in message
    assert "Nothing was loaded" in message


def test_the_real_file_must_have_every_english_lsoa():
    with pytest.raises(UpstreamFormatError, match=r"56 rows, expected 33,755 \(one per 2021 LSOA in England\)"):
        parse_file7(_response(_body(_real_file7_rows())))
    # ... which a synthetic file (the demo's, for its own areas) is not asked to have.
    assert MhclgResource().expected_lsoas == ENGLISH_LSOAS_2021 == 33_755


def test_columns_are_read_by_name_not_position():
    headers = list(reversed(FILE7_HEADERS))
    table = parse_file7(_response(_body(_real_file7_rows(), headers)), expected_rows=0)
    assert {r["lsoa_code"]: r["employment_score"] for r in table.to_pylist()}["E01020977"] == "0.237"


@pytest.mark.parametrize("change,expected", [
    ({"lsoa_code": "W01000001"}, "'W01000001' is not an English 2021 LSOA code"),
    ({"lsoa_code": "E01020978"}, "LSOA listed more than once: E01020978"),
    ({"imd_decile": "11"}, "imd_decile '11' (LSOA E01020977): not a decile 1..10"),
    ({"employment_rank": "0"}, "employment_rank '0' (LSOA E01020977): not a rank within 1..33,755"),
    ({"income_rank": "33756"}, "income_rank '33756' (LSOA E01020977): not a rank within 1..33,755"),
    ({"income_score": "38.0"}, "income_score '38.0' (LSOA E01020977): not a rate within 0-1"),
    ({"employment_score": ""}, "employment_score '' (LSOA E01020977): not a rate within 0-1"),
    ({"imd_score": "x"}, "imd_score 'x' (LSOA E01020977): not a score within 0-100"),
    ({"population_working_age": "0"}, "population_working_age '0' (LSOA E01020977): not a positive whole number"),
    ({"population_total": "1500.5"}, "population_total '1500.5' (LSOA E01020977): not a positive whole number"),
])
def test_a_wrong_value_is_refused_naming_the_file_the_lsoa_and_the_check(change, expected):
    rows = _real_file7_rows()
    at = next(i for i, r in enumerate(rows) if r["lsoa_code"] == "E01020977")
    rows[at] = {**rows[at], **change}
    with pytest.raises(UpstreamFormatError) as err:
        parse_file7(_response(_body(rows)), expected_rows=0)
    assert str(err.value).startswith(FILE7_NAME) and expected in str(err.value)
    assert "the last good load is kept" in str(err.value)


@pytest.mark.parametrize("body,content_type,expected", [
    (b"<!DOCTYPE html><html><body>Page not found</body></html>", "text/html", "an HTML or JSON page"),
    (b"", "text/csv", "empty body"),
    (b"\xef\xbb\xbf" + _body([]), "text/csv", "header only, no rows"),
])
def test_a_body_that_is_not_a_csv_is_refused(body, content_type, expected):
    with pytest.raises(UpstreamFormatError, match=re.escape(expected)):
        parse_file7(_response(body, content_type), expected_rows=0)


def test_a_byte_order_mark_is_read():
    table = parse_file7(_response(b"\xef\xbb\xbf" + _body(_real_file7_rows())), expected_rows=56)
    assert table.num_rows == 56


# -- the synthetic File 7 of the demo -------------------------------------------------------------------------

def test_the_demo_serves_a_synthetic_file7_in_the_real_layout_at_the_official_path():
    world = World.default()
    sim = MhclgSim(world)
    status, ctype, body = sim.handle(FILE7_PATH, {})
    assert (status, ctype) == (200, "text/csv")
    assert next(csv.reader(io.StringIO(body.decode("utf-8").split("\n", 1)[0]))) == FILE7_HEADERS
    assert len(FILE7_HEADERS) == 56 and FILE7_HEADERS[36].endswith("10% of LSO")  # truncated, as published
    table = parse_file7(_response(body, origin="synthetic"), expected_rows=0)
    english = sorted(s.code for s in world.lsoas if s.lad_code.startswith("E"))
    assert table["lsoa_code"].to_pylist() == english and len(english) > 100
    rows = table.to_pylist()
    assert {r["imd_decile"] for r in rows} == {str(d) for d in range(1, 11)}  # plausible spread
    # Deciles follow ranks as MHCLG's do: decile d holds ranks of the d-th tenth of 33,755.
    assert all(int(r["imd_decile"]) == min(10, (int(r["imd_rank"]) - 1) * 10 // 33755 + 1) for r in rows)
    assert sim.handle("media/other/file.csv", {})[0] == 404


# -- the source asset over a real local HTTP server ---------------------------------------------------------------

def _resources(httpserver, tmp_path, expected: int) -> dict:
    mhclg = MhclgResource(source_mode="live", snapshot_dir=str(tmp_path / "snap"),
                          base_url=httpserver.url_for("/gov").rstrip("/"), max_retries=0, backoff_seconds=0.0,
                          expected_lsoas=expected)
    return {"mhclg": mhclg, "warehouse": WarehouseResource(database=str(tmp_path / "work.duckdb"))}


def _state(tmp_path):
    with duckdb.connect(str(tmp_path / "work.duckdb"), read_only=True) as conn:
        status = conn.execute("SELECT outcome, reason, upstream FROM source_status WHERE source_asset = 'raw_iod'"
                              ).fetchone()
        held = conn.execute("SELECT count(*), any_value(source_query_id) FROM iod_lsoa").fetchone()
        spot = conn.execute("SELECT employment_score, employment_rank, income_score, imd_score, imd_decile, "
                            "population_working_age, vintage, lsoa_vintage FROM iod_lsoa "
                            "WHERE lsoa_code = 'E01020977'").fetchone()
    return status, held, spot


def test_the_asset_loads_file7_then_keeps_it_when_a_later_download_fails(httpserver, tmp_path):
    path = "/gov/" + FILE7_PATH
    rows = _real_file7_rows()
    httpserver.expect_oneshot_request(path).respond_with_data(_body(rows), content_type="text/csv")
    result = dg.materialize([raw_iod, iod_lsoa], resources=_resources(httpserver, tmp_path, expected=56))
    assert result.success
    (outcome, reason, upstream), (n, qid), spot = _state(tmp_path)
    assert (outcome, reason, upstream, n) == ("fresh", None, "mhclg:IoD2025", 56)
    assert spot == (0.237, 4386, 0.380, 42.079, 2, 900, "IoD 2025", 2021)
    with duckdb.connect(str(tmp_path / "work.duckdb"), read_only=True) as conn:
        prov = conn.execute("SELECT query_id, source_asset, service, dataset, url, origin, rows, release "
                            "FROM source_requests").fetchall()
    assert prov == [(qid, "raw_iod", "mhclg", "English Indices of Deprivation 2025, File 7 (all ranks, scores, "
                     "deciles and population denominators)", httpserver.url_for(path), "live", 56,
                     "IoD 2025 (MHCLG, published 30 October 2025): " + FILE7_PATH)]

    # GOV.UK answers with an HTML page (200), then a 404, then a short file for the real one: each is refused
    # with the file named, and the last good load is kept as it was (stale).
    failures = [
        (lambda: httpserver.expect_oneshot_request(path).respond_with_data(
            "<html><head><title>GOV.UK</title></head><body>Page moved</body></html>", content_type="text/html"),
         "an HTML or JSON page", 56),
        (lambda: httpserver.expect_oneshot_request(path).respond_with_data("<h1>Page not found</h1>", status=404,
                                                                           content_type="text/html"), "404", 56),
        (lambda: httpserver.expect_oneshot_request(path).respond_with_data(_body(rows[:10]), content_type="text/csv"),
         "10 rows, expected 56", 56),
    ]
    for serve, why, expected in failures:
        serve()
        result = dg.materialize([raw_iod, iod_lsoa], resources=_resources(httpserver, tmp_path, expected))
        assert result.success, why
        (outcome, reason, _), held, spot = _state(tmp_path)
        assert outcome == "stale" and why in reason and FILE7_NAME in reason, reason
        assert held == (56, qid) and spot[0] == 0.237


def test_recording_the_synthetic_upstream_asks_no_national_row_count(httpserver, tmp_path):
    """The demo generator records with origin 'synthetic': its File 7 covers the demo areas only."""
    httpserver.expect_request("/gov/" + FILE7_PATH).respond_with_data(_body(_real_file7_rows()), content_type="text/csv")
    resources = _resources(httpserver, tmp_path, ENGLISH_LSOAS_2021)
    resources["mhclg"] = MhclgResource(**{**resources["mhclg"].model_dump(), "record_origin": "synthetic",
                                          "source_mode": "record"})
    assert dg.materialize([raw_iod, iod_lsoa], resources=resources).success
    (outcome, _, _), (n, _), _ = _state(tmp_path)
    assert (outcome, n) == ("fresh", 56)
    assert list((tmp_path / "snap" / "mhclg").rglob("*.json"))  # recorded for the demo to replay


def test_with_no_earlier_load_a_failed_download_leaves_the_indicators_absent(httpserver, tmp_path):
    httpserver.expect_request("/gov/" + FILE7_PATH).respond_with_data("gone", status=404)
    result = dg.materialize([raw_iod, iod_lsoa], resources=_resources(httpserver, tmp_path, ENGLISH_LSOAS_2021))
    assert result.success
    (outcome, reason, _), (n, _), spot = _state(tmp_path)
    assert outcome == "unavailable" and "404" in reason and n == 0 and spot is None


def test_the_configured_resource_points_at_gov_uk_unless_told_otherwise(tmp_path):
    default = build_resources(load_settings({"LMI_PROJECT_DIR": str(tmp_path)}))["mhclg"]
    assert default.file7_request().url == (
        "https://assets.publishing.service.gov.uk/media/691ded56d140bbbaa59a2a7d/"
        "File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv")
    local = build_resources(load_settings({"LMI_PROJECT_DIR": str(tmp_path),
                                           "MHCLG_BASE_URL": "http://127.0.0.1:9/mhclg"}))["mhclg"]
    assert local.file7_request().url == "http://127.0.0.1:9/mhclg/" + FILE7_PATH


# -- real values aggregated to wards -------------------------------------------------------------------------------

def test_real_hastings_values_aggregate_to_its_wards_by_the_real_lookup(tmp_path):
    """Real scores and the real best-fit lookup; the population denominators are stand-ins (all equal, so the
    weighted mean is the simple mean, worked here in exact decimals)."""
    real = {r["lsoa21_code"]: r for r in _real_rows()}
    with LOOKUP.open(encoding="utf-8-sig", newline="") as f:
        lookup = list(csv.DictReader(f))
    conn = duckdb.connect(str(tmp_path / "f.duckdb"))
    conn.execute("CREATE TABLE iod_lsoa (lsoa_code VARCHAR, lad_code VARCHAR, imd_score DOUBLE, imd_decile INTEGER, "
                 "income_score DOUBLE, employment_score DOUBLE, population_total INTEGER, "
                 "population_working_age INTEGER, source_query_id VARCHAR)")
    district_of = {r["LSOA21CD"]: r["LAD23CD"] for r in lookup}
    conn.executemany("INSERT INTO iod_lsoa VALUES (?, ?, ?, ?, ?, ?, 1500, 900, 'q-real')",
                     [(c, district_of.get(c, "E06000001"), r["IMD_score"], r["IMD_decile"], r["Income_score"],
                       r["Employment_score"]) for c, r in real.items()])
    # Hastings's county and region (no benchmark asked here: figures_deprivation gives those it is asked for).
    conn.execute("CREATE TABLE district_parents AS SELECT 'E07000062' AS lad_code, 'E10000011' AS county_code, "
                 "'East Sussex' AS county_name, 'E12000008' AS region_code, 'South East' AS region_name")
    conn.execute("CREATE TABLE districts AS SELECT 'E07000062' AS lad_code, "
                 "[]::STRUCT(level VARCHAR, code VARCHAR, name VARCHAR)[] AS benchmarks")
    conn.execute("CREATE TABLE lsoa_ward_lookup (lsoa_code VARCHAR, ward_code VARCHAR, ward_name VARCHAR, "
                 "ward_vintage BIGINT, lad_code VARCHAR, lad_name VARCHAR)")
    conn.executemany("INSERT INTO lsoa_ward_lookup VALUES (?, ?, ?, 2023, ?, ?)",
                     [(r["LSOA21CD"], r["WD23CD"], r["WD23NM"], r["LAD23CD"], r["LAD23NM"]) for r in lookup])
    cur = conn.execute(f"SELECT {', '.join(area_indicators.FIGURE_COLUMNS)} "
                       f"FROM ({load_sql(area_indicators.__file__, 'figures_deprivation')})")
    names = [d[0] for d in cur.description]
    got = {(r["area_code"], r["indicator"]): r for r in (dict(zip(names, row)) for row in cur.fetchall())}
    conn.close()

    def mean(codes, column):
        return round(sum(Decimal(real[c][column]) for c in codes) / len(codes), 4)

    gensing = [r["LSOA21CD"] for r in lookup if r["WD23NM"] == "Gensing"]
    hastings = [r["LSOA21CD"] for r in lookup]
    assert len(gensing) == 4 and len(hastings) == 53
    for code, lsoas in [("E05011207", gensing), (HASTINGS, hastings)]:
        assert got[(code, "iod_employment_deprivation")]["value"] == float(round(100 * mean(lsoas, "Employment_score"), 1))
        assert got[(code, "iod_income_deprivation")]["value"] == float(round(100 * mean(lsoas, "Income_score"), 1))
        assert got[(code, "imd_average_score")]["value"] == float(round(mean(lsoas, "IMD_score"), 1))
        in_decile_1 = sum(real[c]["IMD_decile"] == "1" for c in lsoas)
        assert got[(code, "imd_share_lsoas_most_deprived_decile")]["value"] == round(100 * in_decile_1 / len(lsoas), 1)
    # Hastings holds some of England's most deprived neighbourhoods: its share is well above England's 10%.
    assert got[(HASTINGS, "imd_share_lsoas_most_deprived_decile")]["value"] > 10
    assert got[("E05011207", "iod_employment_deprivation")]["ward_vintage"] == 2023
    assert got[("E05011207", "iod_employment_deprivation")]["denominator"] == 4 * 900


def test_the_fixtures_match_their_readme():
    text = (FIXTURES / "README.md").read_text(encoding="utf-8")
    for path in (REAL, LOOKUP):
        section = text[text.index(f"## `{path.name}`"):]
        assert re.search(r"sha256 `([0-9a-f]{64})`", section).group(1) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert text.count("Open Government Licence v3.0") == 2 and "MHCLG" in text
