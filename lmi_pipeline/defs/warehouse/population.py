"""Mid-year population estimates, typed and tidy, from raw_population."""

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build, label_table
from lmi_pipeline.defs.sources.population import AGE_BANDS, DATASET


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_population", "nomis_geographies"],
          pool="duckdb_writer")
def population(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Mid-year resident population by area, year and age band (all, 16-64, 16-24, 18-24).

    The denominators of claimant rates. Small-area estimates lag district ones by about a year; the
    latest year is used for later months, and `ward_indicators` records which year each rate used.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "population", ["area_code", "area_level", "ward_vintage", "year", "age_band"],
                  f"Nomis {DATASET}", labels=label_table({DATASET: AGE_BANDS}), unrecognised="age_band",
                  drop_repeats=True)
        conn.execute("COMMIT")
        latest = conn.execute("SELECT max(year) FROM population").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "latest_year": latest})
