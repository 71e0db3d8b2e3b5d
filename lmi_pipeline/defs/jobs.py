import dagster as dg

from lmi_pipeline.sources.upstream import UPSTREAMS

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
    selection=dg.AssetSelection.assets(*(u.key for u in UPSTREAMS)),
    description="Observe every upstream data set's release stamp (Nomis LastUpdated, the DfE NEET release): "
    "a few small metadata requests, no data. The refresh_on_release sensor plans lmi_refresh from them.",
    executor_def=dg.in_process_executor,
)


def observe_in_process(instance: dg.DagsterInstance, resources: dict, raise_on_error: bool = False,
                       loggers: dict[str, dg.LoggerDefinition] | None = None) -> dg.ExecuteInProcessResult:
    """observe_upstream_releases run in this process with these resources (tests, the demo snapshot,
    benchmarks): every upstream's release stamp recorded as an observation in `instance`. `raise_on_error`:
    a failure (or a Ctrl-C, as DagsterExecutionInterruptedError) raises rather than being returned.
    `loggers` replace Dagster's default console logger (configured at INFO)."""
    from lmi_pipeline.defs.sources.upstream import UPSTREAM_RELEASES

    definitions = dg.Definitions(assets=UPSTREAM_RELEASES, jobs=[observe_upstream_releases], resources=resources)
    job = definitions.resolve_job_def(observe_upstream_releases.name)
    if not loggers:
        return job.execute_in_process(instance=instance, raise_on_error=raise_on_error)
    return job.with_logger_defs(loggers).execute_in_process(
        instance=instance, raise_on_error=raise_on_error,
        run_config={"loggers": {name: {"config": {"log_level": "INFO"}} for name in loggers}})
