import dagster as dg

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource, quote_ident
from lmi_pipeline.project import ProjectResource

RAW_WITH_DATES_SQL = """
SELECT table_name FROM information_schema.columns
WHERE column_name IN ('DATE', 'query_id') AND table_name LIKE 'raw\\_%' ESCAPE '\\'
GROUP BY table_name HAVING count(*) = 2 ORDER BY table_name
"""


@dg.asset(group_name="warehouse", kinds={"duckdb"},
          deps=["nomis_geographies", "ons_ward_lookup", "raw_claimant_count", "raw_population",
                "raw_census_economic_activity", "raw_census_age_activity", "raw_census_qualifications",
                "raw_census_industry", "raw_census_occupation", "raw_aps", "raw_model_unemployment",
                "raw_ashe_earnings", "raw_jobs_density", "raw_bres_employees", "raw_business_counts", "raw_neet",
                "raw_uc_conditionality", "ons_lsoa_ward_lookup", "ons_combined_authorities", "raw_iod",
                "ward_boundaries"],
          pool="duckdb_writer")
def provenance(project: ProjectResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Where every figure came from: one row per upstream query, with its URL (never the key),
    parameters, retrieval time, source mode, release stamp, the period "latest" resolved to, row count,
    a SHA-256 of the bytes received, and the periods the query found revised upstream (details in
    `source_revisions`). Demo rows are labelled "synthetic demo data" (the IoD 2025 File 7 too: the demo's is
    synthetic, a live run downloads MHCLG's).
    """
    with warehouse.get_connection() as conn:
        raw_tables = [r[0] for r in conn.execute(RAW_WITH_DATES_SQL).fetchall()]
        union = " UNION ALL ".join(
            f"SELECT query_id, max(DATE) AS latest_period FROM {quote_ident(t)} GROUP BY query_id" for t in raw_tables
        ) or "SELECT NULL::VARCHAR AS query_id, NULL::VARCHAR AS latest_period WHERE false"
        conn.execute("BEGIN")
        conn.execute(f"CREATE OR REPLACE TEMP VIEW resolved_periods AS {union}")
        has_revisions = conn.execute("SELECT count(*) FROM information_schema.tables "
                                     "WHERE table_name = 'source_revisions'").fetchone()[0]
        conn.execute("CREATE OR REPLACE TEMP VIEW revisions AS " + (
            "SELECT query_id, period FROM source_revisions" if has_revisions
            else "SELECT NULL::VARCHAR AS query_id, NULL::VARCHAR AS period WHERE false"))
        conn.execute(load_sql(__file__, "provenance"), {"source_mode": project.source_mode})
        conn.execute("COMMIT")
        n, labels = conn.execute("SELECT count(*), string_agg(DISTINCT data_label, ', ' ORDER BY data_label) FROM provenance").fetchone()
    return dg.MaterializeResult(metadata={"dagster/row_count": n, "data_label": labels or ""})
