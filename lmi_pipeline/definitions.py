from pathlib import Path

import dagster as dg

from lmi_pipeline.defs.column_schema import with_column_schemas

# A run covers any range of claimant months in one go (the schedule, the UI's backfill, or
# `dg launch --job lmi_refresh --partition-range A...B`), so every asset takes a single-run policy.
SINGLE_RUN = dg.BackfillPolicy.single_run()


@dg.definitions
def defs() -> dg.Definitions:
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return dg.Definitions(
        assets=[with_column_schemas(a.with_attributes(backfill_policy=SINGLE_RUN))
                if isinstance(a, dg.AssetsDefinition) else a for a in loaded.assets or []],
        asset_checks=loaded.asset_checks, schedules=loaded.schedules, sensors=loaded.sensors, jobs=loaded.jobs,
        resources=loaded.resources, loggers=loaded.loggers,
        # Every step writes the one DuckDB file: run them in one process (UI runs included), one after another.
        executor=loaded.executor or dg.in_process_executor,
    )
