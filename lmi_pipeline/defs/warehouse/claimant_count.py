"""The claimant count, typed and tidy, from raw_claimant_count."""

import dagster as dg
import duckdb

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build, label_table
from lmi_pipeline.defs.sources.claimant_count import AGE_BANDS, DATASET

# A ward's figures are keyed by their ward type too: after a boundary review Nomis publishes a district's wards on
# both ward types, and a ward the review left alone has the same code (the same area) in both sets. Each set keeps
# its own copy, so each is whole and neither is ever joined to the other.
KEY = ["area_code", "area_level", "ward_vintage", "period", "age_band", "measure"]


def build_claimant_count(conn: duckdb.DuckDBPyConnection, what: str = f"Nomis {DATASET}") -> int:
    """Run claimant_count.sql, naming the age bands by the patterns the source picked their codes with."""
    return build(conn, __file__, "claimant_count", KEY, what,
                 labels=label_table({DATASET: AGE_BANDS}), unrecognised="age_band",
                 drop_repeats=True)


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_claimant_count", "nomis_geographies"],
          pool="duckdb_writer")
def claimant_count(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Claimant count, typed and tidy: area x month x age band (16+, 16-24, 18-24) x measure (count, rate).

    Counts are rounded to the nearest 5 by DWP (`rounding_base` = 5): ward sums do not equal district
    totals, and that is never "fixed". `ward_vintage` is set on every ward row; suppressed values stay NULL.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build_claimant_count(conn)
        conn.execute("COMMIT")
        latest = conn.execute("SELECT max(period) FROM claimant_count").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "latest_period": str(latest)})
