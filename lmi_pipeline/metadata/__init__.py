"""The published tables of data/lmi.duckdb and their columns, described once.

`TABLES` names every table and view the published database holds, what one row of it is, and every
column it holds, in table order: read from this folder's TOML files (`shared.toml` holds the columns many
tables share; the others one part of the flow each). From it come the exports README
(defs/publish/exports.py), the DuckDB `COMMENT ON` of every published table and described column
(`apply_comments`, before publishing) and the Dagster column schemas (defs/column_schema.py).
"""

from __future__ import annotations

import duckdb

from lmi_pipeline.metadata.loading import load_tables
from lmi_pipeline.metadata.model import Column, Table

__all__ = ["SECTIONS", "TABLES", "Column", "Table", "apply_comments", "comment_sql"]

# table -> its description; dictionary heading -> its tables (both in listing order)
TABLES, SECTIONS = load_tables()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def comment_sql(table: Table, held: list[str]) -> list[str]:
    """`COMMENT ON` statements for the table and its columns in `held` (in table order): those listed, and any
    other with the table's `other_columns` description where it has one."""
    kind = "VIEW" if table.is_view else "TABLE"
    described = {c.name: c.description for c in table.columns}
    notes = {name: described.get(name, table.other_columns) for name in held}
    return [f"COMMENT ON {kind} {_ident(table.name)} IS {_literal(table.description)}"] + [
        f"COMMENT ON COLUMN {_ident(table.name)}.{_ident(name)} IS {_literal(note)}"
        for name, note in notes.items() if note]


def apply_comments(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Comment every described table, view and column the database holds (comments change no row).

    Returns what is described here but not held, for a warning: a table or column may be renamed before
    its description is, and that must not stop a publication.
    """
    held: dict[str, list[str]] = {}
    for table, column in conn.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                      "WHERE NOT internal AND schema_name = 'main' ORDER BY column_index").fetchall():
        held.setdefault(table, []).append(column)
    missing = []
    for table in TABLES.values():
        if table.name not in held:
            missing.append(table.name)
            continue
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in held[table.name]]
        for statement in comment_sql(table, held[table.name]):
            conn.execute(statement)
    return missing
