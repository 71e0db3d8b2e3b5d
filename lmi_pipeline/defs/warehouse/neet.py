"""DfE NEET 16-17 by upper-tier local authority, typed and tidy, from any known file layout."""

import dagster as dg

from lmi_pipeline.clients.dfe import NEET_COLUMNS, NEET_GEO_COLUMNS, neet_schema
from lmi_pipeline.clients.transport import UpstreamFormatError
from lmi_pipeline.database.storage import WarehouseResource, quote_ident, quote_literal
from lmi_pipeline.database.tidy import build

# EES symbols (data guidance): c confidential (suppressed), z not applicable, x not available, low rounds to
# zero but is not zero, u low reliability, : not available; an empty cell is missing. Anything else stops.
DFE_SYMBOLS = {"c", "z", "x", "low", "u", ":", ""}
# What a layout without a characteristic breakdown (the dashboard extract: one headline row per area and year)
# stands for. Any other column a layout lacks (the dashboard has no NEET counts) is NULL: its measure has no
# rows, so nothing downstream can mistake it for a zero or derive it.
ABSENT_AS = {"characteristic_grouping": "'Total'", "characteristic": "'Total'"}


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_neet", "ward_lookup", "districts"], pool="duckdb_writer")
def neet_participation(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """DfE NEET and not known, 16-17 year olds (NCCIS), for the upper-tier local authorities covering the
    configured districts (East Sussex, Kent), their regions and England: one row per area x year x age x
    characteristic x measure (cohort, NEET-or-not-known, NEET and not-known counts and percentages, annual
    change). Every known DfE layout is read: the 2025 file (`avgNEETNK`...), the 2026 file
    (`avg_neet_nk_count`...) and DfE's dashboard extract (`Cohort_DJFavg`, `NEET_not_known_percent`...: 16-17
    headline only, so its rows are characteristic 'Total', and no counts, so those measures have no rows);
    `c`/`z` cells are NULL with their `symbol`, never zero.
    """
    with warehouse.get_connection() as conn:
        columns = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_name = 'raw_neet' ORDER BY ordinal_position").fetchall()]
        schema, mapping = neet_schema(columns, "raw_neet (DfE NEET 16-17)")
        renamed = ", ".join(f"{quote_ident(mapping[ours])} AS {ours}" if ours in mapping
                            else f"{ABSENT_AS.get(ours, 'NULL')}::VARCHAR AS {ours}" for ours in NEET_COLUMNS)
        conn.execute("BEGIN")
        conn.execute(f"CREATE OR REPLACE TEMP VIEW neet_normalised AS SELECT {', '.join(NEET_GEO_COLUMNS)}, "
                     f"{renamed}, {quote_literal(schema)} AS schema_version, query_id FROM raw_neet")
        n = build(conn, __file__, "neet_participation",
                  ["area_code", "year", "age", "characteristic_grouping", "characteristic", "measure"], "DfE NEET 16-17")
        symbols = {r[0] for r in conn.execute("SELECT DISTINCT symbol FROM neet_participation "
                                              "WHERE symbol IS NOT NULL").fetchall()}
        if symbols - DFE_SYMBOLS:
            raise UpstreamFormatError(f"DfE NEET 16-17: cells hold {sorted(symbols - DFE_SYMBOLS)}, which are neither "
                                      f"numbers nor known EES symbols {sorted(DFE_SYMBOLS - {''})}. Decide what they "
                                      "mean before publishing (lmi_pipeline/defs/warehouse/neet.py).")
        conn.execute("COMMIT")
        areas = conn.execute("SELECT string_agg(DISTINCT area_name, ', ' ORDER BY area_name) FROM neet_participation").fetchone()[0]
    context.log.info(f"DfE NEET ({schema} column names): {areas}")
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "schema": schema, "areas": areas or ""})
