"""The published tables of data/lmi.duckdb and their columns, described once.

`TABLES` names every table and view the published database holds, what one row of it is, and every
column it holds (the columns modules, in table order; shared columns in `shared`). From it come the exports README
(defs/publish/exports.py), the DuckDB `COMMENT ON` of every published table and described column
(`apply_comments`, before publishing) and the Dagster column schemas (defs/column_schema.py).
"""

from __future__ import annotations

import duckdb

from dataclasses import replace

from lmi_pipeline.metadata import analyses, geography, indicators, sources, warehouse
from lmi_pipeline.metadata.model import Column, Table
from lmi_pipeline.metadata.shared import SHARED

__all__ = ["TABLES", "Column", "Table", "apply_comments", "comment_sql"]

_TABLES = (
    # indicators
    Table(name="ward_indicators", grain="ward x boundary vintage x indicator x period"),
    Table(name="area_indicators", grain="area x indicator x period"),
    Table(name="indicator_catalogue", grain="indicator"),
    # analyses
    Table(name="lmi_gaps", grain="focus ward or configured district x catalogue indicator"),
    Table(name="lmi_gaps_to_fill", grain="indicator x gap x place level", is_view=True),
    Table(name="ward_boundary_sets", grain="district x ward boundary set with claimant figures in the latest month"),
    Table(name="priority_inputs", grain="ward x boundary set x priority component (latest month)"),
    Table(name="priority_wards", grain="ward of each district's ranking boundary set, ranked"),
    Table(name="priority_sensitivity", grain="district x alternative weighting"),
    Table(name="focus_ward_progress", grain="focus ward x boundary set x monthly indicator"),
    # geography
    Table(name="districts", grain="configured district"),
    Table(name="ward_lookup", grain="ward x boundary vintage"),
    Table(name="iod_employment", grain="2021 LSOA in England (IoD 2025 Employment domain)"),
    Table(name="lsoa_ward_lookup", grain="2021 LSOA x ward boundary vintage"),
    Table(name="ward_vintage_bridge", grain="pair of overlapping wards from an earlier and a later boundary vintage"),
    Table(name="nomis_geographies", grain="Nomis geography id resolved from metadata at run time"),
    Table(name="nomis_dataset_coverage", grain="Nomis dataset: the smallest areas it is read for"),
    Table(name="ons_ward_lookup", grain="ONS ward lookup row as fetched"),
    Table(name="ons_lsoa_ward_lookup", grain="ONS LSOA21 -> ward best-fit lookup row as fetched"),
    Table(name="ons_combined_authorities", grain="ONS district -> combined authority lookup row as fetched"),
    Table(name="areas_config", grain="run: the lmi.toml it used"),
    # warehouse
    Table(name="census_economic_activity", grain="area x age band x status (Census 2021)"),
    Table(name="aps_estimates", grain="area x 12-month period x variable (Annual Population Survey)"),
    Table(name="model_unemployment", grain="area x 12-month period (ONS model-based estimates)"),
    Table(name="neet_participation", grain="area x year x age x characteristic x measure (DfE NEET 16-17)"),
    Table(name="claimant_count", grain="area x month x age band x measure"),
    Table(name="population", grain="area x year x age band"),
    # provenance and source state
    Table(name="provenance", grain="upstream query (its pages grouped)"),
    Table(name="source_requests", grain="response received (a page of an upstream query)"),
    Table(name="source_status", grain="source asset: this run's outcome"),
    Table(name="source_area_hashes", grain="source x period x area: the fingerprint of its figures"),
    Table(name="source_revisions", grain="source x period x release in which published figures were revised"),
    Table(name="obs_status_codes", grain="Nomis observation status code the pipeline understands"),
    # raw upstream files, every column text as served
    Table(name="raw_claimant_count", grain="row of the Nomis NM_162_1 CSV as served"),
    Table(name="raw_population", grain="row of the Nomis NM_2014_1 CSV as served"),
    Table(name="raw_census_economic_activity", grain="row of the Nomis NM_2083_1 (TS066) CSV as served"),
    Table(name="raw_census_age_activity", grain="row of the Nomis NM_2124_1 (RM024) CSV as served"),
    Table(name="raw_aps", grain="row of the Nomis NM_17_5 CSV as served"),
    Table(name="raw_model_unemployment", grain="row of the Nomis NM_127_1 CSV as served"),
    Table(name="raw_neet", grain="row of the DfE NEET file as served", columns=(SHARED["query_id"],),
          other_columns="a column of the DfE file as served (text)"),
)
_COLUMNS = {**indicators.COLUMNS, **analyses.COLUMNS, **geography.COLUMNS, **warehouse.COLUMNS, **sources.COLUMNS}
TABLES: dict[str, Table] = {table.name: replace(table, columns=_COLUMNS.get(table.name, table.columns))
                            for table in _TABLES}


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
