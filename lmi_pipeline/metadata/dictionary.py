"""docs/data-dictionary.md, rendered from lmi_pipeline.metadata: every published table with its notes and a
table of its columns (the descriptions DuckDB shows as comments). `python -m lmi_pipeline.metadata` writes it."""

from __future__ import annotations

from pathlib import Path

from lmi_pipeline.metadata import SECTIONS, TABLES, Table
from lmi_pipeline.metadata.notes import INTRO, SECTION_NOTES, TABLE_NOTES

DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"
HEADER = ("# Data dictionary: `data/lmi.duckdb`\n\n"
          "<!-- Generated from lmi_pipeline.metadata by `python -m lmi_pipeline.metadata`: edit there, not here. -->")
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table_section(table: Table) -> str:
    view = " (view)" if table.is_view else ""
    lines = [f"### `{table.name}`{view}: one row per {table.grain}"]
    if TABLE_NOTES.get(table.name):
        lines += [TABLE_NOTES[table.name].strip(), ""]
    lines += ["| column | type | description |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {_cell(c.type)} | {_cell(c.description)} |" for c in table.columns]
    if table.other_columns:
        lines.append(f"| any other | VARCHAR | {_cell(table.other_columns)} |")
    return "\n".join(lines)


def render() -> str:
    parts = [HEADER, INTRO.strip()]
    for heading, names in SECTIONS.items():
        parts.append(f"## {heading}")
        if SECTION_NOTES.get(heading):
            parts.append(SECTION_NOTES[heading].strip())
        parts += [table_section(TABLES[name]) for name in names]
    return "\n\n".join(parts) + "\n"


def write(path: Path = DICTIONARY) -> Path:
    path.write_text(render(), encoding="utf-8")
    return path
