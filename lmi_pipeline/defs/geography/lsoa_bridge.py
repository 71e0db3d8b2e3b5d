"""LSOA21 -> ward best-fit lookups, and the bridge they give between ward boundary vintages."""

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["ons_lsoa_ward_lookup"], pool="duckdb_writer")
def lsoa_ward_lookup(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every 2021 LSOA of the configured districts with the ward it best-fits, per ward boundary vintage
    (ONS LSOA21 -> ward lookups). Used to aggregate LSOA-only Census tables to wards, and by the
    ward_vintage_bridge. One ward per LSOA and vintage, or the run stops.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "lsoa_ward_lookup", ["lsoa_code", "ward_vintage"], "ONS LSOA21 -> ward lookup")
        conn.execute("COMMIT")
        vintages = conn.execute("SELECT string_agg(DISTINCT ward_vintage::VARCHAR, ', ' ORDER BY ward_vintage::VARCHAR) FROM lsoa_ward_lookup").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "vintages": vintages or ""})


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["lsoa_ward_lookup"], pool="duckdb_writer")
def ward_vintage_bridge(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """How each ward relates to the wards of every later boundary vintage held (e.g. Maidstone's
    2023 and May-2024 wards): the 2021 LSOAs they share, the share of each side, and a relationship
    (unchanged, recoded, merged into, part of). A best-fit bridge for comparing vintages by hand;
    indicators are never silently moved across boundaries with it.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "ward_vintage_bridge",
                  ["from_ward_code", "from_vintage", "to_ward_code", "to_vintage"], "ward vintage bridge")
        conn.execute("COMMIT")
        changed = conn.execute("SELECT count(*) FROM ward_vintage_bridge WHERE relationship <> 'unchanged'").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "changed_pairs": changed})
