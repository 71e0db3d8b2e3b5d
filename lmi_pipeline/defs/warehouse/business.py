"""BRES employee jobs and UK Business Counts local units, typed and tidy (wards where published, districts and
benchmarks; annual)."""

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build, label_table
from lmi_pipeline.defs.sources.business import (BRES_INDUSTRIES, BRES_MEASURE, BRES_STATUS, UBC_INDUSTRY, UBC_LEGAL,
                                                UBC_SIZEBAND)


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_bres_employees"], pool="duckdb_writer")
def bres_employees(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """BRES open access (NM_189_1): one row per area x ward vintage x year x industry (the total and the 18 broad
    industry groups), the employee jobs located in the area (where people work, not where they live; employees
    only, so no self-employed or working owners) and Nomis's industry percentage (the group's share of the area's
    employee jobs). Open-access counts are rounded by ONS (to 5 up to 49 jobs, then to coarser bases, doubled
    for disclosive cells), so groups need not sum to the total; a cell Nomis does not give stays NULL with its
    OBS_STATUS. A ward row keeps its boundary vintage: wards of two vintages are never one set.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "bres_employees", ["area_code", "area_level", "ward_vintage", "year", "industry"],
                  "Nomis NM_189_1", labels=label_table({"industry": BRES_INDUSTRIES, "employment_status": BRES_STATUS,
                                                        "measure": BRES_MEASURE}), unrecognised="industry")
        conn.execute("COMMIT")
        wards = conn.execute("SELECT count(DISTINCT area_code) FROM bres_employees WHERE area_level = 'ward'"
                             ).fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "wards": wards})


@dg.asset(group_name="warehouse", kinds={"duckdb"}, deps=["raw_business_counts"], pool="duckdb_writer")
def business_counts(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """UK Business Counts (NM_141_1): one row per area x ward vintage x year, the local units (business sites)
    in the area on the IDBR's March snapshot, all industries, sizes and legal statuses. Only VAT- and/or
    PAYE-registered businesses are on the register (most very small sole traders are not); a local unit is a
    site, so one enterprise with three shops counts three times. A ward row keeps its boundary vintage.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "business_counts", ["area_code", "area_level", "ward_vintage", "year"],
                  "Nomis NM_141_1", labels=label_table({"industry": UBC_INDUSTRY, "employment_sizeband": UBC_SIZEBAND,
                                                        "legal_status": UBC_LEGAL}), unrecognised="industry")
        conn.execute("COMMIT")
    return dg.MaterializeResult(metadata={"dagster/row_count": n})
