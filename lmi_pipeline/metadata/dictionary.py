"""docs/data-dictionary.md, rendered from lmi_pipeline.metadata: every published table with its notes and a
table of its columns (the descriptions DuckDB shows as comments). `python -m lmi_pipeline.metadata` writes it."""

from __future__ import annotations

from pathlib import Path

from lmi_pipeline.metadata import TABLES, Table
from lmi_pipeline.metadata.notes import INTRO, SECTION_NOTES, TABLE_NOTES

DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"
HEADER = ("# Data dictionary: `data/lmi.duckdb`\n\n"
          "<!-- Generated from lmi_pipeline.metadata by `python -m lmi_pipeline.metadata`: edit there, not here. -->")
# Section heading -> its tables, in the order they are listed.
SECTIONS = {
    "Indicators": ["ward_indicators", "area_indicators", "indicator_catalogue"],
    "Analyses": ["lmi_gaps", "lmi_gaps_to_fill", "ward_boundary_sets", "priority_inputs", "priority_wards",
                 "priority_sensitivity", "focus_ward_progress"],
    "Geography": ["districts", "ward_lookup", "iod_employment", "lsoa_ward_lookup", "ward_vintage_bridge",
                  "nomis_geographies", "nomis_dataset_coverage", "ons_ward_lookup", "ons_lsoa_ward_lookup",
                  "ons_combined_authorities", "areas_config"],
    "Warehouse": ["census_economic_activity", "aps_estimates", "model_unemployment", "neet_participation",
                  "claimant_count", "population"],
    "Provenance and source state": ["provenance", "source_requests", "source_status", "source_area_hashes",
                                    "source_revisions", "obs_status_codes"],
    "Raw upstream files": ["raw_claimant_count", "raw_population", "raw_census_economic_activity",
                           "raw_census_age_activity", "raw_aps", "raw_model_unemployment", "raw_neet"],
}


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
    listed = [name for names in SECTIONS.values() for name in names]
    if sorted(listed) != sorted(TABLES):
        raise ValueError(f"SECTIONS and TABLES differ: {sorted(set(listed) ^ set(TABLES))}")
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
