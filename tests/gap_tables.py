"""Small input tables for the gap-matrix SQL, built in a test's own DuckDB file (test_analyses,
test_ranges_and_gaps): the columns lmi_gaps reads from each of its inputs."""

import duckdb


def make_table(conn: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[tuple]) -> None:
    conn.execute(f"CREATE OR REPLACE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns.items())})")
    if rows:
        conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", rows)


def gap_row(conn: duckdb.DuckDBPyConnection, place: str, indicator: str) -> dict:
    """The one lmi_gaps row of a place and indicator, by column name."""
    cur = conn.execute("SELECT * FROM lmi_gaps WHERE place_code = ? AND indicator = ?", [place, indicator])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, (place, indicator, rows)
    return dict(zip(names, rows[0]))


LOOKUP_COLUMNS = {"ward_code": "VARCHAR", "ward_name": "VARCHAR", "ward_vintage": "INTEGER", "lad_code": "VARCHAR",
                  "lad_name": "VARCHAR", "county_code": "VARCHAR", "county_name": "VARCHAR", "region_code": "VARCHAR",
                  "region_name": "VARCHAR", "country_code": "VARCHAR", "country_name": "VARCHAR", "is_focus": "BOOLEAN",
                  "focus_name": "VARCHAR"}
AREA_COLUMNS = {"area_code": "VARCHAR", "area_level": "VARCHAR", "ward_vintage": "INTEGER", "indicator": "VARCHAR",
                "period": "DATE", "value": "DOUBLE", "lower": "DOUBLE", "upper": "DOUBLE", "unit": "VARCHAR",
                "status": "VARCHAR", "small_number": "BOOLEAN", "rounding_base": "INTEGER",
                "source_query_id": "VARCHAR", "release": "VARCHAR", "retrieved_at": "TIMESTAMP", "data_label": "VARCHAR"}
CATALOGUE_COLUMNS = {"indicator": "VARCHAR", "label": "VARCHAR", "unit": "VARCHAR", "status": "VARCHAR",
                     "source_dataset": "VARCHAR", "frequency": "VARCHAR", "reference_months": "INTEGER",
                     "release_lag_days": "INTEGER", "lowest_level": "VARCHAR", "published_levels": "VARCHAR",
                     "caveats": "VARCHAR", "source_outcome": "VARCHAR", "source_problem": "VARCHAR"}
