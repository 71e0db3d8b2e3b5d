"""Dagster column schemas of the published tables' assets, from lmi_pipeline.metadata."""

import dagster as dg

from lmi_pipeline.metadata import TABLES


def column_schema(table: str) -> dict[str, dg.TableSchema]:
    """Asset metadata showing the table's columns in the Dagster UI (empty where none are described yet)."""
    return {"dagster/column_schema": dg.TableSchema(columns=[
        dg.TableColumn(name=c.name, type=c.type, description=c.description) for c in TABLES[table].columns])
    } if TABLES[table].columns else {}
