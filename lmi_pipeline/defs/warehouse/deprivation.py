"""The English Indices of Deprivation 2025 (MHCLG File 7) for 2021 LSOAs, typed and tidy."""

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_iod"], pool="duckdb_writer")
def iod_lsoa(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The English Indices of Deprivation 2025 (MHCLG, File 7) for every 2021 LSOA in England held: the overall
    Index of Multiple Deprivation (score, rank, decile), the Income and Employment domains (score as a rate, the
    share of the population in income deprivation / of the working-age population excluded from work, with
    rank and decile; 1 = most deprived) and the mid-2022 population denominators, with `vintage` 'IoD 2025',
    `lsoa_vintage` 2021 and the provenance query it came from. England only: Welsh LSOAs have no row. Wards,
    districts and England are aggregated from it in area_indicators (figures_deprivation.sql, derived).
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "iod_lsoa", ["lsoa_code"], "MHCLG IoD 2025 File 7")
        conn.execute("COMMIT")
        most_deprived = conn.execute("SELECT count(*) FILTER (WHERE imd_decile = 1) FROM iod_lsoa").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "vintage": "IoD 2025",
                                          "lsoas_in_most_deprived_imd_decile": most_deprived})
