import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.database.tidy import build
from lmi_pipeline.geography.areas import AreasError
from lmi_pipeline.project import ProjectResource

SUMMARY_SQL = """
SELECT lad_code, lad_name, kind, array_to_string(list_transform(benchmarks, lambda b: b.name), ', ') AS compared_with
FROM districts ORDER BY lad_code
"""


@dg.asset(group_name="geography", kinds={"duckdb"}, deps=["ons_ward_lookup", "ons_combined_authorities", "nomis_geographies", "areas_config"],
          pool="duckdb_writer")
def districts(context: dg.AssetExecutionContext, project: ProjectResource,
              warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every configured district with its kind (shire district, unitary, metropolitan district, London
    borough, Welsh principal area) and the areas it is compared with, as they really are: county for a
    shire district, combined authority for a metropolitan district, London for a London borough, region
    (England only) and country (England or Wales). `benchmarks` lists them in order; whether an upstream
    publishes a figure for each is up to the upstream, and a benchmark it does not publish is left out.
    """
    wanted = project.areas().lad_codes
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        n = build(conn, __file__, "districts", ["lad_code"], "ONS ward lookup")
        missing = sorted(set(wanted) - {r[0] for r in conn.execute("SELECT lad_code FROM districts").fetchall()})
        if missing:
            raise AreasError(f"lmi.toml: district(s) {missing} have no wards in the ONS ward lookup for the vintages "
                             "Nomis uses. Check each is a current district GSS code.")
        conn.execute("COMMIT")
        summary = conn.execute(SUMMARY_SQL).df()
    return dg.MaterializeResult(metadata={"dagster/row_count": n,
                                          "benchmarks": dg.MetadataValue.md(summary.to_markdown(index=False))})
