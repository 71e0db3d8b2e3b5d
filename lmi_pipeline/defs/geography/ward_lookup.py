import dagster as dg
import pyarrow as pa

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build
from lmi_pipeline.geography.areas import AreasError, Ward, resolve_focus_wards
from lmi_pipeline.project import ProjectResource

# Vintages with no ONS lookup this run (ons_ward_lookup said why) are left out: their wards cannot be placed
# in districts, so they are not in ward_lookup and no ward figure is shown on them; the other vintages go on.
COVERAGE_GAPS_SQL = """
SELECT n.role, n.dataset, n.gss_code, n.nomis_name, n.ward_vintage, 'in Nomis but not in the ONS lookup' AS problem
FROM nomis_geographies n
WHERE n.level = 'ward' AND n.ward_vintage IN (SELECT ward_vintage FROM ons_ward_lookup) AND NOT EXISTS (
    SELECT 1 FROM ons_ward_lookup o WHERE o.ward_code = n.gss_code AND o.ward_vintage = n.ward_vintage)
UNION ALL
SELECT n.role, n.dataset, o.ward_code, o.ward_name, o.ward_vintage, 'in the ONS lookup but not published by Nomis'
FROM ons_ward_lookup o
JOIN (SELECT DISTINCT role, dataset, ward_vintage, lad_code FROM nomis_geographies WHERE level = 'ward') n
  ON n.ward_vintage = o.ward_vintage AND n.lad_code = o.lad_code  -- a district may skip a vintage (same wards)
WHERE NOT EXISTS (SELECT 1 FROM nomis_geographies g
                  WHERE g.role = n.role AND g.level = 'ward' AND g.gss_code = o.ward_code)
"""

UNPLACED_VINTAGES_SQL = """
SELECT DISTINCT ward_vintage FROM nomis_geographies
WHERE level = 'ward' AND ward_vintage NOT IN (SELECT ward_vintage FROM ons_ward_lookup) ORDER BY 1
"""


@dg.asset(group_name="geography", kinds={"duckdb"},
          deps=["ons_ward_lookup", "ons_lsoa_ward_lookup", "nomis_geographies", "districts"], pool="duckdb_writer")
def ward_lookup(context: dg.AssetExecutionContext, project: ProjectResource,
                warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every ward of the configured districts, per boundary vintage, with its district, county, combined
    authority, region and country (as `districts` reads them), and whether it is a focus ward.

    Built from the ONS lookup and checked against the wards Nomis publishes for the same vintage. Focus
    wards named in lmi.toml are resolved to GSS codes here, with suggestions for a misspelling. On other
    boundaries, the ward of the same name, or else the ward holding most of its 2021 LSOAs, stands for it
    (`focus_name`, `focus_match`); their figures are still never mixed.
    """
    areas = project.areas()
    with warehouse.get_connection() as conn:
        lookup = conn.execute("SELECT ward_code, ward_name, lad_code, lad_name FROM ons_ward_lookup").fetchall()
        focus = resolve_focus_wards(areas, [Ward(*row) for row in lookup])
        gaps = conn.execute(COVERAGE_GAPS_SQL).fetchall()
        unplaced = [r[0] for r in conn.execute(UNPLACED_VINTAGES_SQL).fetchall()]
        if gaps:
            shown = "; ".join(f"{g[2]} {g[3]} ({g[4]} wards, {g[1]}): {g[5]}" for g in gaps[:8])
            raise AreasError(f"ward lists disagree between Nomis and the ONS lookup for {len(gaps)} ward(s): {shown}. "
                             "A boundary change may be half-published; wait for both to update.")
        conn.execute("BEGIN")
        conn.register("focus_wards", pa.table({"ward_code": [c for codes in focus.values() for c in codes]}))
        n = build(conn, __file__, "ward_lookup", ["ward_code", "ward_vintage"], "ONS ward lookup")
        conn.unregister("focus_wards")
        conn.execute("COMMIT")
        n_focus = conn.execute("SELECT count(*) FILTER (is_focus) FROM ward_lookup").fetchone()[0]
    context.log.info(f"focus wards: {focus}")
    if unplaced:
        context.log.warning(f"Nomis publishes {unplaced} wards, but there is no ONS lookup for them this run "
                            "(see ons_ward_lookup): figures on those boundaries are held but not shown by ward.")
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "focus_ward_rows": n_focus,
                                          "vintages_without_lookup": str(unplaced)})
