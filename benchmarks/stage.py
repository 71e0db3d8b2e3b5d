"""One measured stage of the benchmark, run in its own process so its peak RSS is its own.

    python -m benchmarks.stage pipeline <workdir> <asset>...   a real Dagster run of those assets
    python -m benchmarks.stage orchestration-floor <workdir>    the project's own SQL without Dagster (see below)
    python -m benchmarks.stage noop <workdir>                   the nightly refresh planning, nothing new upstream

Prints one JSON line of measurements. The independent floor (plain DuckDB SQL written apart from the
project's) is benchmarks/floor.py, run as `python -m benchmarks.floor <workdir>`.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def _peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not getrusage: Linux carries ru_maxrss across exec, so a
    child would report its parent's size at fork."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _settings(workdir: Path):
    from lmi_pipeline.settings import load_settings

    env = json.loads((workdir / "env.json").read_text())
    return load_settings({**env, "LMI_PROJECT_DIR": str(workdir)})


def pipeline(workdir: Path, assets: list[str]) -> dict:
    import dagster as dg

    from lmi_pipeline.definitions import defs
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.operations.refresh import RANGE_END, RANGE_START
    from lmi_pipeline.sources.claimant_months import extend_claimant_months

    settings = _settings(workdir)
    definitions = defs()
    tags = json.loads((workdir / "range.json").read_text())
    selection = [dg.AssetKey(a) for a in assets]
    started = time.perf_counter()
    with dg.DagsterInstance.get() as instance:  # DAGSTER_HOME is the workdir's home/
        if tags.get(RANGE_END) and "raw_claimant_count" in assets:
            # The claimant months are dynamic partitions: planning adds them to the instance before a run
            # (refresh.py), and this instance is the bench's own, so add them as the plan would.
            extend_claimant_months(instance, tags[RANGE_END][:7])
        result = dg.materialize(list(definitions.assets) + list(definitions.asset_checks), selection=selection,
                                instance=instance, resources=build_resources(settings),
                                tags=tags if "raw_claimant_count" in assets else {})
    wall = time.perf_counter() - started
    steps = {}
    for event in result.all_events:
        if event.is_step_success:
            steps[event.step_key] = event.event_specific_data.duration_ms / 1000
    asset_seconds = sum(v for k, v in steps.items() if k in assets)
    metadata = {}
    for a in assets:
        for m in result.asset_materializations_for_node(a):
            metadata[a] = {k: v.value for k, v in m.metadata.items() if isinstance(v.value, (int, float, str))}
    return {"success": result.success, "wall": wall, "peak_rss_mb": _peak_rss_mb(), "steps": steps,
            "asset_seconds": asset_seconds, "check_seconds": sum(steps.values()) - asset_seconds,
            "metadata": metadata, "range": [tags.get(RANGE_START), tags.get(RANGE_END)]}


def orchestration_floor(workdir: Path) -> dict:
    """The orchestration floor: the same pages through the project's OWN transform SQL and its own publish
    (copy_database), with no Dagster around them. Against the pipeline this measures orchestration overhead
    only (Dagster runs, per-step connections, page checks, provenance), not how efficient the SQL is: for
    that, see the independent floor in benchmarks/floor.py."""
    import duckdb

    from lmi_pipeline.database.sql import load_sql
    from lmi_pipeline.database.storage import CONNECTION_CONFIG, limit_memory, quote_literal
    from lmi_pipeline.defs.indicators import area_indicators as ai
    from lmi_pipeline.defs.indicators import ward_indicators as wi
    from lmi_pipeline.defs.warehouse.claimant_count import build_claimant_count

    settings = _settings(workdir)
    pages = json.loads((workdir / "pages.json").read_text())
    db = workdir / "orchestration_floor.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db), config=dict(CONNECTION_CONFIG))
    limit_memory(con, settings.duckdb_memory_limit)  # the same cap as the pipeline's connections
    # Small reference tables the transform needs, copied untimed from the pipeline's working database.
    con.execute(f"ATTACH {quote_literal(str(settings.work_db))} AS work (READ_ONLY)")
    for table in ("population", "ward_lookup", "provenance", "areas_config", "source_requests"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM work.{table}")
    extra = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'work' "
                                       "AND table_name NOT IN ('raw_claimant_count', 'claimant_count', 'area_indicators', "
                                       "'ward_indicators', 'population', 'ward_lookup', 'provenance', 'areas_config', "
                                       "'source_requests')").fetchall()]
    for table in extra:  # other sources' tables, if the figures SQL needs them
        con.execute(f"CREATE TABLE \"{table}\" AS SELECT * FROM work.\"{table}\"")
    con.execute("DETACH work")

    t0 = time.perf_counter()
    files = ", ".join(quote_literal(p) for p in pages)
    con.execute(f"CREATE TABLE raw_claimant_count AS SELECT *, 'floor' AS query_id FROM read_csv([{files}], "
                "all_varchar = true, header = true)")
    ingest = time.perf_counter() - t0
    rows = con.execute("SELECT count(*) FROM raw_claimant_count").fetchall()[0][0]
    rss_ingest = _peak_rss_mb()

    t1 = time.perf_counter()
    build_claimant_count(con, "floor")
    figures = " UNION ALL BY NAME ".join(
        f"SELECT {', '.join(ai.FIGURE_COLUMNS)} FROM ({load_sql(ai.__file__, 'figures_' + s)})" for s in ai.FIGURE_SOURCES)
    con.execute(ai.AREA_INDICATORS_SQL.format(figures=figures), {"small_number_threshold": 20})
    wi.build_ward_indicators(con)
    transform = time.perf_counter() - t1
    ward_rows = con.execute("SELECT count(*) FROM ward_indicators").fetchone()[0]
    con.close()

    t2 = time.perf_counter()
    _publish_floor(db, workdir / "orchestration_floor_published.duckdb", settings.duckdb_memory_limit)
    publish = time.perf_counter() - t2
    return {"ingest": ingest, "transform": transform, "publish": publish, "rows": rows, "ward_rows": ward_rows,
            "peak_rss_mb": _peak_rss_mb(), "ingest_peak_rss_mb": rss_ingest}


def _publish_floor(work_db: Path, published: Path, memory_limit: str) -> None:
    """The floor of publishing: the copy and one atomic rename (no journal, no staged files, no checks)."""
    from lmi_pipeline.database.publication import PUBLISHED_MODE, replace_file
    from lmi_pipeline.database.storage import copy_database

    tmp = published.with_name(f".{published.name}.next")
    copy_database(work_db, tmp, memory_limit)
    os.chmod(tmp, PUBLISHED_MODE)
    replace_file(tmp, published)


def noop(workdir: Path) -> dict:
    import dagster as dg

    from lmi_pipeline.defs.jobs import observe_in_process
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.geography.areas import load_areas
    from lmi_pipeline.operations.refresh import plan_refresh

    settings = _settings(workdir)
    started = time.perf_counter()
    resources = build_resources(settings)
    areas = load_areas(settings.areas_file)
    with dg.DagsterInstance.get() as instance:  # DAGSTER_HOME is the workdir's home/
        observe_in_process(instance, resources, raise_on_error=True)  # what `lmi refresh` does first
        plan = plan_refresh(instance, resources["nomis"], areas.start_month, areas.revision_window_months,
                            dfe=resources["dfe"], work_db=settings.work_db, settings=settings)
    return {"wall": time.perf_counter() - started, "requests": plan.requests, "nothing_to_do": plan.nothing_to_do,
            "summary": plan.summary(), "peak_rss_mb": _peak_rss_mb()}


if __name__ == "__main__":
    kind, workdir = sys.argv[1], Path(sys.argv[2])
    out = {"pipeline": lambda: pipeline(workdir, sys.argv[3:]), "orchestration-floor": lambda: orchestration_floor(workdir),
           "noop": lambda: noop(workdir)}[kind]()
    print(json.dumps(out, default=str))
