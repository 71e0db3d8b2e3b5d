"""Dagster column schemas of the published tables' assets, from lmi_pipeline.metadata."""

import dagster as dg

from lmi_pipeline.metadata import TABLES


def column_schema(table: str) -> dict[str, dg.TableSchema]:
    """Asset metadata showing the table's columns in the Dagster UI."""
    return {"dagster/column_schema": dg.TableSchema(columns=[
        dg.TableColumn(name=c.name, type=c.type, description=c.description) for c in TABLES[table].columns])}


def with_column_schemas(asset: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The asset with the column schema of every published table it materialises (asset name = table name)."""
    return asset.map_asset_specs(lambda spec: spec.merge_attributes(metadata=column_schema(spec.key.path[-1]))
                                 if spec.key.path[-1] in TABLES else spec)
