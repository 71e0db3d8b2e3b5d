"""Census 2021 qualifications (TS067), industry (TS060) and occupation (TS063), typed and tidy."""

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build, label_table
from lmi_pipeline.defs.sources.census_skills import TS063, TS063_OCCUPATION, TS067, TS067_QUALIFICATION

UNCLASSIFIED_SQL = "SELECT count(DISTINCT category_label) FROM census_skills_work WHERE category_kind = 'unclassified'"


@dg.asset(group_name="warehouse", kinds={"duckdb"},
          deps=["raw_census_qualifications", "raw_census_industry", "raw_census_occupation"], pool="duckdb_writer")
def census_skills_work(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Census 2021 (21 March 2021) highest level of qualification of usual residents aged 16+ (TS067), and the
    industry (TS060) and occupation (TS063) of the job of usual residents aged 16+ in employment: one row per
    area x table (`topic`) x category, every category as published, for 2022 wards (ONS's aggregation of output
    areas, `ward_vintage` 2022), the districts and their benchmarks. Industry rows carry their SIC 2007 section
    (and division, where the label gives one). TS060 and TS063 describe where residents work (labour supply),
    not the jobs located in the area. Counts are ONS-perturbed whole numbers; suppressed cells stay NULL.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "census_skills_work",
                  ["area_code", "area_level", "ward_vintage", "topic", "category"], "Nomis Census 2021 TS067/TS060/TS063",
                  labels=label_table({TS067: TS067_QUALIFICATION, TS063: TS063_OCCUPATION}), unrecognised="category")
        conn.execute("COMMIT")
        unclassified = conn.execute(UNCLASSIFIED_SQL).fetchone()[0]
    if unclassified:
        context.log.warning(f"Census TS060: {unclassified} industry label(s) name no SIC division or section; kept "
                            "as 'unclassified' and left out of section sums.")
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "industry_unclassified_labels": unclassified})
