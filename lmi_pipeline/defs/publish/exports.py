"""assets/exports/: CSV and Parquet copies of the tables researchers ask for, with a README of their columns.

DuckDB writes the files itself (COPY), straight from the working database. The README lists the
tables' actual columns with their descriptions from lmi_pipeline.metadata, so it can never describe a
column that is not there, and a column nobody has described yet says so instead of being silently left out.
"""

from pathlib import Path

import dagster as dg
import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from lmi_pipeline.database.storage import WarehouseResource, quote_ident, quote_literal
from lmi_pipeline.metadata import TABLES
from lmi_pipeline.project import ProjectResource, is_synthetic

EXPORTS_DIR = "exports"
TEMPLATES = Path(__file__).parent / "templates"
# table -> the order rows are written in (what a row and its columns are: lmi_pipeline.metadata)
EXPORTS = {
    "ward_indicators": "lad_code, ward_code, ward_vintage, indicator, period",
    "priority_wards": "lad_code, priority_rank NULLS LAST, ward_name",
    "priority_sensitivity": "lad_code, position",
    "lmi_gaps": "lad_code, place_level DESC, place_code, indicator",
}

OWNER = "data_exports"


def column_rows(conn: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    notes = {c.name: c.description for c in TABLES[table].columns}
    cols = conn.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                        "ORDER BY ordinal_position", [table]).fetchall()
    return [{"name": n, "type": t, "note": notes.get(n, "not yet described: see docs/data-dictionary.md")}
            for n, t in cols]


def write_exports(conn: duckdb.DuckDBPyConnection, project: ProjectResource) -> dict[str, int]:
    """COPY each table to CSV and Parquet in the staging folder, then the README. Returns rows per table."""
    counts, tables = {}, []
    project.staging_area(OWNER)
    for table, order in EXPORTS.items():
        query = f"SELECT * FROM {quote_ident(table)} ORDER BY {order}"
        csv = project.staged(OWNER, f"{EXPORTS_DIR}/{table}.csv")
        parquet = project.staged(OWNER, f"{EXPORTS_DIR}/{table}.parquet")
        conn.execute(f"COPY ({query}) TO {quote_literal(str(csv))} (FORMAT csv, HEADER true)")
        conn.execute(f"COPY ({query}) TO {quote_literal(str(parquet))} (FORMAT parquet, COMPRESSION zstd)")
        counts[table] = conn.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()[0]
        tables.append({"name": table, "grain": TABLES[table].grain, "order": order, "rows": counts[table],
                       "columns": column_rows(conn, table)})
    label = conn.execute("SELECT string_agg(DISTINCT data_label, ' + ' ORDER BY data_label) FROM provenance").fetchone()[0] or "unknown"
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    readme = env.get_template("exports_README.md.j2").render(tables=tables, label=label, synthetic=is_synthetic(label))
    project.staged(OWNER, f"{EXPORTS_DIR}/README.md").write_text(readme, encoding="utf-8")
    return counts


@dg.asset(group_name="publish", kinds={"csv", "parquet"}, deps=["ward_indicators", "priority_wards", "lmi_gaps",
                                                               "provenance"])
def data_exports(context: dg.AssetExecutionContext, project: ProjectResource,
                 warehouse: WarehouseResource) -> dg.MaterializeResult:
    """assets/exports/: `ward_indicators`, `priority_wards` and `lmi_gaps` as CSV (UTF-8, header, ISO dates,
    empty = NULL) and Parquet (types kept), written by DuckDB's COPY, with a README.md describing every
    column. For spreadsheets and tools that cannot open DuckDB; the files hold no lock on anything.
    """
    with warehouse.get_connection() as conn:
        counts = write_exports(conn, project)
    metadata = {f"{table}_rows": n for table, n in counts.items()}
    for name in ["README.md"] + [f"{t}.{ext}" for t in EXPORTS for ext in ("csv", "parquet")]:
        metadata[name] = dg.MetadataValue.path(str(project.published(f"{EXPORTS_DIR}/{name}").resolve()))
    return dg.MaterializeResult(metadata=metadata)
