"""The published tables of data/lmi.duckdb and their columns, described once.

`TABLES` names every table and view the published database holds and what one row of it is; the tables
researchers are given as exports also describe every column. From it come the exports README
(defs/publish/exports.py), the DuckDB `COMMENT ON` of every published table and described column
(`apply_comments`, before publishing) and the Dagster column schemas (defs/column_schema.py).
"""

from __future__ import annotations

import duckdb

from lmi_pipeline.metadata.analyses import LMI_GAPS_COLUMNS, PRIORITY_SENSITIVITY_COLUMNS, PRIORITY_WARDS_COLUMNS
from lmi_pipeline.metadata.indicators import WARD_INDICATORS_COLUMNS
from lmi_pipeline.metadata.model import Column, Table

__all__ = ["TABLES", "Column", "Table", "apply_comments", "comment_sql"]

_TABLES = (
    # indicators
    Table(name="ward_indicators", grain="ward x boundary vintage x indicator x period", columns=WARD_INDICATORS_COLUMNS),
    Table(name="area_indicators", grain="area x indicator x period"),
    Table(name="indicator_catalogue", grain="indicator"),
    # analyses
    Table(name="lmi_gaps", grain="focus ward or configured district x catalogue indicator", columns=LMI_GAPS_COLUMNS),
    Table(name="lmi_gaps_to_fill", grain="indicator x gap x place level", is_view=True),
    Table(name="ward_boundary_sets", grain="district x ward boundary set with claimant figures in the latest month"),
    Table(name="priority_inputs", grain="ward x boundary set x priority component (latest month)"),
    Table(name="priority_wards", grain="ward of each district's ranking boundary set, ranked",
          columns=PRIORITY_WARDS_COLUMNS),
    Table(name="priority_sensitivity", grain="district x alternative weighting", columns=PRIORITY_SENSITIVITY_COLUMNS),
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
    Table(name="raw_neet", grain="row of the DfE NEET file as served"),
)
TABLES: dict[str, Table] = {table.name: table for table in _TABLES}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def comment_sql(table: Table, held: set[str]) -> list[str]:
    """`COMMENT ON` statements for the table and those of its described columns in `held`."""
    kind = "VIEW" if table.is_view else "TABLE"
    return [f"COMMENT ON {kind} {_ident(table.name)} IS {_literal(table.description)}"] + [
        f"COMMENT ON COLUMN {_ident(table.name)}.{_ident(c.name)} IS {_literal(c.description)}"
        for c in table.columns if c.name in held]


def apply_comments(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Comment every described table, view and column the database holds (comments change no row).

    Returns what is described here but not held, for a warning: a table or column may be renamed before
    its description is, and that must not stop a publication.
    """
    held: dict[str, set[str]] = {}
    for table, column in conn.execute("SELECT table_name, column_name FROM duckdb_columns() "
                                      "WHERE NOT internal AND schema_name = 'main'").fetchall():
        held.setdefault(table, set()).add(column)
    missing = []
    for table in TABLES.values():
        if table.name not in held:
            missing.append(table.name)
            continue
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in held[table.name]]
        for statement in comment_sql(table, held[table.name]):
            conn.execute(statement)
    return missing
