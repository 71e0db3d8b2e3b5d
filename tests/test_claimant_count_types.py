"""claimant_count when Nomis publishes a district's wards on two ward types after a boundary review: a ward the
review left alone has the same GSS code (the same area) on both, so each set keeps its own copy and stays whole;
two copies of one figure on the same ward type that differ are still refused."""

import duckdb
import pytest

from lmi_pipeline.clients.transport import UpstreamFormatError
from lmi_pipeline.defs.warehouse.claimant_count import build_claimant_count

COLUMNS = ["GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "GEOGRAPHY_TYPE", "DATE", "AGE_NAME", "MEASURE", "MEASURE_NAME",
           "OBS_VALUE", "OBS_STATUS", "query_id"]
OLD, NEW = "2022 wards", "2024 wards"  # GEOGRAPHY_TYPE names as Nomis gives them, vintage in the name


def raw(rows: list[tuple]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute(f"CREATE TABLE raw_claimant_count ({', '.join(f'{c} VARCHAR' for c in COLUMNS)})")
    conn.executemany(f"INSERT INTO raw_claimant_count VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    return conn


def row(code: str, type_name: str, value: str, month: str = "2026-10", status: str = "A") -> tuple:
    return (code, "Biddenden", type_name, month, "All categories: Age 16+", "1", "Claimant count", value, status,
            "q-" + type_name[:4])


def test_a_ward_on_both_types_is_held_once_in_each_set():
    conn = raw([row("E05011745", OLD, "35"), row("E05011745", NEW, "35"), row("E05099999", NEW, "10")])
    assert build_claimant_count(conn) == 3
    got = conn.execute("SELECT area_code, ward_vintage, value, source_query_id FROM claimant_count "
                       "ORDER BY area_code, ward_vintage").fetchall()
    assert got == [("E05011745", 2022, 35.0, "q-2022"), ("E05011745", 2024, 35.0, "q-2024"),
                   ("E05099999", 2024, 10.0, "q-2024")]


def test_copies_on_one_ward_type_that_differ_are_refused():
    conn = raw([row("E05011745", NEW, "40", status="A"), row("E05011745", NEW, "35")])
    with pytest.raises(UpstreamFormatError, match=r"conflicting rows in claimant_count, e\.g\. \('E05011745'"):
        build_claimant_count(conn)


def test_a_row_served_twice_on_one_ward_type_is_kept_once():
    conn = raw([row("E05011745", NEW, "35"), row("E05011745", NEW, "35"), row("E05099999", NEW, "10"),
                row("E05099999", NEW, "10", month="2026-09")])
    assert build_claimant_count(conn) == 3
    got = conn.execute("SELECT area_code, period::VARCHAR, value FROM claimant_count ORDER BY ALL").fetchall()
    assert got == [("E05011745", "2026-10-01", 35.0), ("E05099999", "2026-09-01", 10.0),
                   ("E05099999", "2026-10-01", 10.0)]


def test_a_repeated_row_beside_a_conflicting_copy_is_still_refused():
    conn = raw([row("E05011745", NEW, "35"), row("E05011745", NEW, "35"), row("E05011745", NEW, "40")])
    with pytest.raises(UpstreamFormatError, match=r"conflicting rows in claimant_count, e\.g\. \('E05011745'"):
        build_claimant_count(conn)
