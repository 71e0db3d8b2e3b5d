"""Contract tests for BRES (NM_189_1) and UK Business Counts (NM_141_1 / NM_142_1) on real recorded Nomis bodies
(tests/fixtures/nomis, see its README): each body is served byte for byte from a local HTTP server, read through
the project's Nomis client (`NomisResource.fetch`), and then through the warehouse SQL that builds
bres_employees / business_counts, so the tidy tables are checked on Nomis's own layout, not only the sim's.

What the bodies show: BRES dimensions INDUSTRY (37748736 "Total", type "industry"; SIC sections type "SIC 2007
section" with the letter as INDUSTRY_CODE), EMPLOYMENT_STATUS (1 "Employees", type "Employment"), MEASURE (1
"Count", 2 "Industry percentage", both of type "percent") and MEASURES 20100 "Value"; UK Business Counts INDUSTRY,
EMPLOYMENT_SIZEBAND (0 "Total", type "employment sizeband"), LEGAL_STATUS (0 "Total", type "legal status") and
MEASURES, no MEASURE. GEOGRAPHY is the GSS code in both, under the labour-market TYPE423.
"""

from __future__ import annotations

import duckdb
import pytest

from lmi_pipeline.clients.transport import UpstreamFormatError
from lmi_pipeline.database.tidy import build, label_table
from lmi_pipeline.defs.sources import business as src
from lmi_pipeline.defs.warehouse import business as warehouse
from tests.test_contracts_nomis import (BRES, BRES_BROAD, BRES_SECTIONS, BUSINESS_COUNTS, KIRKLEES_GSS, KIRKLEES_ID,
                                        KIRKLEES_LABELS, fetch_fixture, file_rows, fixture_body, rows_where)

BRES_LABELS = label_table({"industry": src.BRES_INDUSTRIES, "employment_status": src.BRES_STATUS,
                           "measure": src.BRES_MEASURE})
UBC_LABELS = label_table({"industry": src.UBC_INDUSTRY, "employment_sizeband": src.UBC_SIZEBAND,
                          "legal_status": src.UBC_LEGAL})


def raw_table(table, raw: str, select: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
    """A DuckDB holding `raw` as the source asset writes it: the selected columns as text, plus query_id."""
    conn = duckdb.connect()
    conn.register("fetched", table)
    conn.execute(f"CREATE TABLE {raw} AS SELECT {', '.join(select)}, 'q-real' AS query_id FROM fetched")
    return conn


def bres_rows(httpserver, name: str) -> tuple[duckdb.DuckDBPyConnection, int]:
    conn = raw_table(fetch_fixture(httpserver, name, labels=KIRKLEES_LABELS).table, "raw_bres_employees",
                     src.BRES_SELECT)
    n = build(conn, warehouse.__file__, "bres_employees", ["area_code", "area_level", "ward_vintage", "year",
                                                             "industry"], "Nomis NM_189_1", labels=BRES_LABELS,
              unrecognised="industry")
    return conn, n


# -- what Nomis serves ----------------------------------------------------------------------------------------
def test_bres_dimensions_as_nomis_writes_them(httpserver):
    table = fetch_fixture(httpserver, BRES_SECTIONS, labels=KIRKLEES_LABELS).table
    rows = table.to_pylist()
    assert len(rows) == 42 and {r["GEOGRAPHY"] for r in rows} == {KIRKLEES_GSS}
    assert {(r["EMPLOYMENT_STATUS"], r["EMPLOYMENT_STATUS_NAME"], r["EMPLOYMENT_STATUS_TYPE"]) for r in rows} == {
        ("1", "Employees", "Employment")}
    assert {(r["MEASURE"], r["MEASURE_NAME"], r["MEASURE_TYPE"]) for r in rows} == {
        ("1", "Count", "percent"), ("2", "Industry percentage", "percent")}
    assert {(r["MEASURES"], r["MEASURES_NAME"]) for r in rows} == {("20100", "Value")}
    (manufacturing_count,) = rows_where(table, INDUSTRY_CODE="C", MEASURE="1")
    assert (manufacturing_count["INDUSTRY"], manufacturing_count["INDUSTRY_NAME"],
            manufacturing_count["INDUSTRY_TYPE"]) == ("150994947", "C : Manufacturing", "SIC 2007 section")
    assert manufacturing_count["OBS_VALUE"] == "25000" and manufacturing_count["OBS_STATUS"] == "A"


def test_bres_open_access_counts_are_rounded_so_sections_do_not_sum_to_the_total(httpserver):
    sections = fetch_fixture(httpserver, BRES_SECTIONS, labels=KIRKLEES_LABELS).table
    counts = [float(r["OBS_VALUE"]) for r in rows_where(sections, MEASURE="1")]
    (total,) = [float(r["OBS_VALUE"]) for r in file_rows(fixture_body(BRES)) if r["MEASURE"] == "1"]
    assert (sum(counts), total) == (161_250.0, 162_000.0)  # each cell rounded on its own
    shares = [float(r["OBS_VALUE"]) for r in rows_where(sections, MEASURE="2")]
    assert round(sum(shares), 1) == 99.7

    def relaxed_base(x: float) -> int:  # nomisweb.co.uk/articles/1103.aspx, public access
        return next(b for limit, b in ((50, 5), (250, 25), (500, 50), (1000, 100), (2500, 250), (5000, 500))
                    if x < limit) if x < 5000 else 1000

    assert all(c % relaxed_base(c) == 0 for c in counts)


def test_bres_unknown_industry_codes_came_back_as_the_total_repeated(httpserver):
    table = fetch_fixture(httpserver, BRES_BROAD, labels=KIRKLEES_LABELS).table
    rows = table.to_pylist()
    assert len(rows) == 18 and {r["INDUSTRY"] for r in rows} == {"37748736"}
    assert [r["INDUSTRY_SORTORDER"] for r in rows] == [str(i // 2) for i in range(18)]
    assert {(r["MEASURE_NAME"], r["OBS_VALUE"]) for r in rows} == {("Count", "162000"), ("Industry percentage", "100.0")}


def test_ubc_dimensions_as_nomis_writes_them(httpserver):
    table = fetch_fixture(httpserver, BUSINESS_COUNTS, labels=KIRKLEES_LABELS).table
    rows = table.to_pylist()
    assert "MEASURE" not in table.column_names and {r["MEASURES"] for r in rows} == {"20100"}
    assert {(r["EMPLOYMENT_SIZEBAND"], r["EMPLOYMENT_SIZEBAND_NAME"], r["EMPLOYMENT_SIZEBAND_TYPE"]) for r in rows} == {
        ("0", "Total", "employment sizeband")}
    assert {(r["LEGAL_STATUS"], r["LEGAL_STATUS_NAME"], r["LEGAL_STATUS_TYPE"]) for r in rows} == {
        ("0", "Total", "legal status")}
    assert all(float(r["OBS_VALUE"]) % 5 == 0 for r in rows)  # every count a multiple of 5
    assert {r["GEOGRAPHY"] for r in rows} == {KIRKLEES_GSS} and all(KIRKLEES_ID in r["URN"] for r in rows)


# -- the warehouse SQL on the real layout ----------------------------------------------------------------------
def test_bres_total_body_builds_one_district_row(httpserver):
    conn, n = bres_rows(httpserver, BRES)
    assert n == 1
    row = conn.execute("""SELECT area_code, area_name, area_level, ward_vintage, year, period, industry,
        industry_label, employment_status, employees, industry_share, obs_status, is_suppressed, source_dataset,
        source_query_id FROM bres_employees""").fetchone()
    assert row[:5] == (KIRKLEES_GSS, "Kirklees", "lad", None, 2024) and row[5].isoformat() == "2024-01-01"
    assert row[6:] == ("total", "Total", "employees", 162000.0, 100.0, "A", False, "NM_189_1", "q-real")


def test_bres_identical_repeated_rows_are_one_figure(httpserver):
    conn, n = bres_rows(httpserver, BRES_BROAD)
    assert n == 1
    assert conn.execute("SELECT employees, industry_share FROM bres_employees").fetchone() == (162000.0, 100.0)


def test_bres_sic_sections_are_not_taken_for_broad_industry_groups(httpserver):
    # Section labels ("C : Manufacturing") match none of the broad group patterns ("3 : Manufacturing (C)"):
    # the build refuses rather than publishing sections under group names.
    with pytest.raises(UpstreamFormatError, match="label we do not recognise"):
        bres_rows(httpserver, BRES_SECTIONS)


def test_bres_conflicting_copies_are_refused(httpserver):
    body = fixture_body(BRES_BROAD)
    lines = body.decode().split("\n")
    lines[3] = lines[3].replace(',162000,"A"', ',161000,"A"')  # the second copy of the count disagrees
    assert lines[3] != body.decode().split("\n")[3]
    table = fetch_fixture(httpserver, BRES_BROAD, labels=KIRKLEES_LABELS, body="\n".join(lines).encode()).table
    conn = raw_table(table, "raw_bres_employees", src.BRES_SELECT)
    with pytest.raises(UpstreamFormatError, match="conflicting rows"):
        build(conn, warehouse.__file__, "bres_employees", ["area_code", "area_level", "ward_vintage", "year",
                                                            "industry"], "Nomis NM_189_1", labels=BRES_LABELS,
              unrecognised="industry")


def test_business_counts_sql_on_the_real_ubc_layout(httpserver):
    table = fetch_fixture(httpserver, BUSINESS_COUNTS, labels=KIRKLEES_LABELS).table
    conn = raw_table(table, "raw_business_counts", src.UBC_SELECT)
    # The real body is by SIC section: sections are not the all-industries total we load, so it is refused ...
    with pytest.raises(UpstreamFormatError, match="label we do not recognise"):
        build(conn, warehouse.__file__, "business_counts", ["area_code", "area_level", "ward_vintage", "year"],
              "Nomis NM_141_1", labels=UBC_LABELS, unrecognised="industry")
    # ... and its first row, relabelled as the total (the only change), builds the row the pipeline publishes.
    conn.execute("""CREATE OR REPLACE TABLE raw_business_counts AS SELECT * REPLACE ('Total' AS INDUSTRY_NAME)
        FROM raw_business_counts WHERE INDUSTRY = '150994945'""")
    assert build(conn, warehouse.__file__, "business_counts", ["area_code", "area_level", "ward_vintage", "year"],
                 "Nomis NM_141_1", labels=UBC_LABELS, unrecognised="industry") == 1
    row = conn.execute("""SELECT area_code, area_level, ward_vintage, year, period, industry, employment_sizeband,
        legal_status, local_units, rounding_base, obs_status, is_suppressed FROM business_counts""").fetchone()
    assert row[:4] == (KIRKLEES_GSS, "lad", None, 2025) and row[4].isoformat() == "2025-03-01"
    assert row[5:] == ("total", "total", "total", 315.0, 5, "A", False)
