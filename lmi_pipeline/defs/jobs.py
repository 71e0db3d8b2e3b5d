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
