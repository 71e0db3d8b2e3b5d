"""Census 2021 economic activity (TS066 for 16+, RM024 for 16-24), typed and tidy."""

import dagster as dg

from lmi_pipeline.clients.transport import UpstreamFormatError
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build, label_table
from lmi_pipeline.defs.sources.census import RM024, RM024_STATUS, TS066, TS066_STATUS

# Best-fit coverage: configured districts' LSOAs that RM024 served but the lookup lacks, and vice versa.
COVERAGE_SQL = """
WITH target AS (SELECT max(ward_vintage) AS v FROM census_economic_activity WHERE geography_method = 'lsoa_best_fit'),
served AS (SELECT DISTINCT area_code FROM census_economic_activity WHERE area_level = 'lsoa' AND age_band = '16-24'),
mapped AS (SELECT lsoa_code, lsoa_name FROM lsoa_ward_lookup WHERE ward_vintage = (SELECT v FROM target))
SELECT 'served by Nomis but not in the ONS lookup' AS problem, area_code FROM served
WHERE area_code NOT IN (SELECT lsoa_code FROM mapped)
UNION ALL
SELECT 'in the ONS lookup but not served by Nomis', lsoa_code || ' ' || lsoa_name FROM mapped
WHERE lsoa_code NOT IN (SELECT area_code FROM served)
"""


@dg.asset(group_name="warehouse", kinds={"duckdb"},
          deps=["raw_census_economic_activity", "raw_census_age_activity", "lsoa_ward_lookup"], pool="duckdb_writer")
def census_economic_activity(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Census 2021 (21 March 2021) economic activity of usual residents: one row per area x age band
    (16+, 16-24) x status, economically active full-time students included as their own statuses. 16+ is
    TS066 as published for 2022 wards (ONS's aggregation of output areas) and above. 16-24 is RM024: as
    published where Nomis publishes it; for wards otherwise the sum of the ward's 2021 LSOAs by the ONS
    best-fit lookup (`geography_method` = lsoa_best_fit, with the number of LSOAs), a derived figure on a
    coarser footprint than TS066's. Counts are ONS-perturbed whole numbers; suppressed cells stay NULL.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "census_economic_activity",
                  ["area_code", "area_level", "ward_vintage", "age_band", "status"], "Nomis Census 2021 tables",
                  labels=label_table({TS066: TS066_STATUS, RM024: RM024_STATUS}), unrecognised="status")
        gaps = conn.execute(COVERAGE_SQL).fetchall()
        if gaps:
            shown = "; ".join(f"{code}: {problem}" for problem, code in gaps[:8])
            raise UpstreamFormatError(
                f"Census RM024 LSOA best fit: {len(gaps)} LSOA(s) do not match between Nomis and the ONS lookup "
                f"({shown}). Ward totals would be incomplete; check both use 2021 LSOAs for the same districts.")
        conn.execute("COMMIT")
        method = conn.execute("SELECT string_agg(DISTINCT geography_method, ', ' ORDER BY geography_method) FROM census_economic_activity "
                              "WHERE area_level = 'ward' AND age_band = '16-24'").fetchone()[0]
    context.log.info(f"Census 16-24 ward figures: {method}")
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "ward_16_24_method": method or "none"})
