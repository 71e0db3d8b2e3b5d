"""Typed warehouse tables built by SQL from the raw, all-text source tables."""

import dagster as dg
import pyarrow as pa

from lmi_pipeline.clients.nomis_csv import OBS_STATUS
from lmi_pipeline.clients.transport import UpstreamFormatError
from lmi_pipeline.sql import load_sql
from lmi_pipeline.storage import WarehouseResource, quote_ident

OBS_STATUS_TABLE = pa.table({
    "code": list(OBS_STATUS),
    "label": [v[0] for v in OBS_STATUS.values()],
    "is_suppressed": [v[1] for v in OBS_STATUS.values()],
})


def build_typed_table(conn, table: str, key: list[str], dataset: str) -> int:
    """Run `{table}.sql`; refuse rows with conflicting values for one key (e.g. an area served twice)."""
    conn.register("obs_status_source", OBS_STATUS_TABLE)
    conn.execute("CREATE OR REPLACE TABLE obs_status_codes AS SELECT * FROM obs_status_source")
    conn.execute(load_sql(__file__, "macros"))
    conn.execute(load_sql(__file__, table))
    cols = ", ".join(quote_ident(k) for k in key)
    dupes = conn.execute(
        f"SELECT {cols}, count(*) FROM {quote_ident(table)} GROUP BY ALL HAVING count(*) > 1 LIMIT 5").fetchall()
    if dupes:
        raise UpstreamFormatError(
            f"{dataset}: {len(dupes)}+ keys have conflicting rows in {table}, e.g. {dupes[0][:-1]}. Upstream served "
            "one area twice with different values; nothing was published."
        )
    bad_age = conn.execute(f"SELECT count(*) FROM {quote_ident(table)} WHERE age_band IS NULL").fetchone()[0]
    if bad_age:
        raise UpstreamFormatError(f"{dataset}: {bad_age} rows have an age label we do not recognise.")
    return conn.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()[0]


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_claimant_count", "nomis_geographies"],
          pool="duckdb_writer")
def claimant_count(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Claimant count, typed and tidy: area x month x age band (16+, 16-24, 18-24) x measure (count, rate).

    Counts are rounded to the nearest 5 by DWP (`rounding_base` = 5): ward sums do not equal district
    totals, and that is never "fixed". `ward_vintage` is set on every ward row; suppressed values stay NULL.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build_typed_table(conn, "claimant_count", ["area_code", "area_level", "period", "age_band", "measure"],
                              "Nomis NM_162_1")
        conn.execute("COMMIT")
        latest = conn.execute("SELECT max(period) FROM claimant_count").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "latest_period": str(latest)})


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_population", "nomis_geographies"],
          pool="duckdb_writer")
def population(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Mid-year resident population by area, year and age band (all, 16-64, 16-24, 18-24).

    The denominators of claimant rates. Small-area estimates lag district ones by about a year; the
    latest year is used for later months, and `ward_indicators` records which year each rate used.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build_typed_table(conn, "population", ["area_code", "area_level", "year", "age_band"], "Nomis NM_2014_1")
        conn.execute("COMMIT")
        latest = conn.execute("SELECT max(year) FROM population").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "latest_year": latest})
