"""The one factory of Nomis raw assets: a `NomisSource` spec in, an isolated source asset out."""

import dagster as dg

from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.sources.isolation import isolated_source
from lmi_pipeline.sources.nomis_loading import raw_columns
from lmi_pipeline.sources.nomis_source import NomisSource, SourceLoad, load_source
from lmi_pipeline.sources.query_areas import GEOGRAPHY_DEPS
from lmi_pipeline.sources.upstream import by_dataset


def nomis_source_asset(src: NomisSource, description: str, freshness_policy: dg.FreshnessPolicy,
                       partitions_def: dg.PartitionsDefinition | None = None) -> dg.AssetsDefinition:
    """The raw asset of `src`: named after its table, reading the geography tables and depending on the
    observation of its dataset's releases, one at a time on the
    Nomis pool, degrading (never failing the run) when Nomis cannot serve it. A monthly source is one
    partition per month, loaded for the run's months from lmi.toml's start_month on."""
    if src.monthly:
        def fn(context: dg.AssetExecutionContext, nomis: NomisResource, project: ProjectResource,
               warehouse: WarehouseResource) -> dg.MaterializeResult:
            start_month = project.areas().start_month
            months = requested_months(context, start_month)
            if not months:
                return dg.MaterializeResult(metadata={"skipped": f"all months are before start_month {start_month}"})
            return dg.MaterializeResult(metadata=monthly_metadata(
                load_source(nomis, warehouse, src, context.log, months), months))
    else:
        def fn(context: dg.AssetExecutionContext, nomis: NomisResource,
               warehouse: WarehouseResource) -> dg.MaterializeResult:
            return dg.MaterializeResult(metadata=snapshot_metadata(load_source(nomis, warehouse, src, context.log),
                                                                   src))
    return dg.asset(
        name=src.asset, description=description, group_name="sources", kinds={"duckdb"},
        # The geography tables it reads, and the observation of its dataset's releases (defs/sources/upstream.py).
        deps=[*GEOGRAPHY_DEPS, by_dataset("nomis", src.dataset).key], pool="nomis_api", freshness_policy=freshness_policy,
        partitions_def=partitions_def,
        # A run's months are one Nomis query, so a backfill is one run whatever its length.
        backfill_policy=dg.BackfillPolicy.single_run() if partitions_def else None,
    )(isolated_source(raw_columns(src.select))(fn))


def requested_months(context: dg.AssetExecutionContext, start_month: str) -> list[str]:
    """The partition months of this run, from the configured start month on."""
    return [k[:7] for k in context.partition_keys if k[:7] >= start_month]


def snapshot_metadata(load: SourceLoad, src: NomisSource) -> dict:
    loaded = load.loaded
    return {"dagster/row_count": loaded.rows, "pages": loaded.pages, "latest_period": loaded.latest_period,
            "release": loaded.release,
            **({"small_area_types": str(load.small_area_types), "dataset": load.dataset_label}
               if src.reports_small_areas else {}),
            "geography_level": load.geography_level}


def monthly_metadata(load: SourceLoad, months: list[str]) -> dict:
    loaded = load.loaded
    return {
        "dagster/row_count": loaded.rows, "pages": loaded.pages, "months": len(months),
        "latest_period": loaded.latest_period, "release": loaded.release, "geography_level": load.geography_level,
        "revised_months": dg.MetadataValue.json(load.revised), "revisions": len(load.revised),
        "fetch_parse_seconds": round(loaded.fetch_parse_seconds, 3), "load_seconds": round(loaded.load_seconds, 3),
    }
