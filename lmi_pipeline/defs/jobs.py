import dagster as dg

# Every step writes the one DuckDB working file, so steps run in one process, one after another;
# the duckdb_writer pool serialises writers across concurrent runs too.
lmi_refresh = dg.define_asset_job(
    name="lmi_refresh",
    selection=dg.AssetSelection.all(),
    description="Fetch the sources (monthly claimant-count partitions for the months given), rebuild the "
    "warehouse and indicators, run the quality checks, then publish data/lmi.duckdb and assets/.",
    executor_def=dg.in_process_executor,
)

# Observing is a few metadata requests per upstream (release stamps); the refresh_on_release sensor then
# decides what lmi_refresh runs.
observe_upstream_releases = dg.define_asset_job(
    name="observe_upstream_releases",
    selection=dg.AssetSelection.groups("upstream", include_sources=True),
    description="Observe every upstream data set's release stamp (Nomis LastUpdated, the DfE NEET release): "
    "a few small metadata requests, no data. The refresh_on_release sensor plans lmi_refresh from them.",
    executor_def=dg.in_process_executor,
)


def observe_in_process(instance: dg.DagsterInstance, resources: dict) -> dg.ExecuteInProcessResult:
    """observe_upstream_releases run in this process with these resources (tests, the demo snapshot,
    benchmarks): every upstream's release stamp recorded as an observation in `instance`."""
    from lmi_pipeline.defs.sources.upstream import UPSTREAM_RELEASES

    definitions = dg.Definitions(assets=UPSTREAM_RELEASES, jobs=[observe_upstream_releases], resources=resources)
    return definitions.resolve_job_def(observe_upstream_releases.name).execute_in_process(
        instance=instance, raise_on_error=False)
