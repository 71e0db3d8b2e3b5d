"""`lmi`: run the pipeline headlessly.

    lmi run               materialise every asset (full history); in demo mode, build the snapshot first
    lmi refresh           what the nightly schedule does, once: ask upstream what is new, fetch only that
    lmi demo-snapshot     rebuild the synthetic demo snapshot for the areas in lmi.toml

Both runs end with a summary of every source and exit 0 (all fresh), 3 (published with stale or
unavailable sources), 1 (nothing published) or 2 (refused before running): see lmi_pipeline/run_summary.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from dotenv import load_dotenv

from lmi_pipeline.areas import AreasConfig, AreasError, load_areas
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.run_lock import RefreshRunningError, RunLock, lock_path
from lmi_pipeline.run_summary import EXIT_FAILED, EXIT_FRESH, EXIT_REFUSED, exit_code, read_outcomes, summary
from lmi_pipeline.settings import Settings, SettingsError, load_settings


def _prepare_environment() -> None:
    if Path(".env").exists():
        load_dotenv(".env", override=False)
    # Runs go into the project's instance (storage under .dagster/, see dagster.yaml), so `make dev` shows them.
    os.environ.setdefault("DAGSTER_HOME", str(Path.cwd().resolve()))


def cmd_demo_snapshot(args: argparse.Namespace) -> int:
    from lmi_demo.snapshot import build_demo_snapshot

    settings = load_settings()
    load_areas(settings.areas_file)
    with RunLock(lock_path(settings.work_dir)).acquire(purpose="demo snapshot build"):
        path = build_demo_snapshot(settings)
    print(f"demo snapshot (synthetic demo data) written to {path}")
    return 0


def _preflight(settings: Settings, say: bool = True) -> AreasConfig:
    """Everything refused before any network call: lmi.toml (its shape, and its codes and ward names
    against the last publication where it can; docs/reliability.md), and a refresh already running."""
    from lmi_pipeline.area_reference import check_areas_offline, load_reference, offline_check_enabled
    from lmi_pipeline.run_lock import refuse_if_running

    areas = load_areas(settings.areas_file)
    refuse_if_running(settings.work_dir)
    if offline_check_enabled():
        notes = check_areas_offline(areas, load_reference(settings.published_db))
        for note in notes if say else []:
            print(f"note: {note}")
    return areas


def _refresh(settings: Settings, everything: bool) -> int:
    import dagster as dg

    from lmi_pipeline.definitions import defs
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.refresh import plan_refresh, refresh_selection
    from lmi_pipeline.runs import execute, failure_messages

    areas = _preflight(settings)  # a bad lmi.toml or a running refresh stops here, before any network call
    started = time.monotonic()
    definitions = defs()
    job = definitions.resolve_job_def("lmi_refresh")
    resources = build_resources(settings)
    with dg.DagsterInstance.get() as instance:
        plan = plan_refresh(instance, resources["nomis"], areas.start_month, areas.revision_window_months,
                            list(definitions.resolve_all_asset_specs()), everything=everything, dfe=resources["dfe"],
                            work_db=settings.work_db)
        print(plan.summary())
        if plan.nothing_to_do:
            print(f"nothing new upstream ({plan.requests} small requests, {time.monotonic() - started:.1f}s); "
                  "the published data is current.")
            return EXIT_FRESH
        selection = None if everything else refresh_selection(definitions, plan)
        result = execute(job, instance, tags=plan.partition_tags(), asset_selection=selection)
    elapsed = time.monotonic() - started
    if not result.success:
        message = "\n".join(failure_messages(result)) or "see the Dagster logs (make dev)"
        print(f"\nlmi FAILED after {elapsed:.1f}s (run {result.run_id}).\n{message}\n"
              f"The last published {settings.published_db} and {settings.assets_dir}/ are unchanged.", file=sys.stderr)
        return EXIT_FAILED
    outcomes = read_outcomes(settings.work_db, result.run_id)
    code = exit_code(outcomes)
    mode = "synthetic demo data" if settings.source_mode == "demo" else f"{settings.source_mode} mode"
    verdict = "succeeded" if code == EXIT_FRESH else "published, with stale sources,"
    print(f"\n{summary(outcomes)}\n\nlmi {verdict} in {elapsed:.1f}s ({mode}, run {result.run_id}; exit {code}).\n"
          f"  database : {settings.published_db}   (duckdb -readonly {_rel(settings.published_db)})\n"
          f"  files    : {settings.assets_dir}/\n"
          f"  UI       : make dev   (then open http://127.0.0.1:3000; this run is in its history)")
    return code


def cmd_run(args: argparse.Namespace) -> int:
    from lmi_demo.snapshot import build_demo_snapshot, snapshot_is_current

    settings = load_settings()
    _preflight(settings, say=False)  # before the demo snapshot is (re)built, too
    if settings.source_mode == "demo" and not snapshot_is_current(settings):
        print("building the synthetic demo snapshot for lmi.toml ...")
        # Under the run lock: two runs rebuilding data/snapshot/ at once would leave a mixture.
        with RunLock(lock_path(settings.work_dir)).acquire(purpose="demo snapshot build"):
            build_demo_snapshot(settings)
    return _refresh(settings, everything=True)


def cmd_refresh(args: argparse.Namespace) -> int:
    return _refresh(load_settings(), everything=False)


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmi", description="lmi-pipeline: ward-level labour market intelligence")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="materialise every asset and publish data/lmi.duckdb and assets/").set_defaults(func=cmd_run)
    sub.add_parser("refresh", help="fetch only what is new upstream, then rebuild and publish").set_defaults(
        func=cmd_refresh)
    sub.add_parser("demo-snapshot", help="rebuild the synthetic demo snapshot").set_defaults(func=cmd_demo_snapshot)
    args = parser.parse_args(argv)
    _prepare_environment()
    try:
        return args.func(args)
    except (AreasError, SettingsError, UpstreamError, RefreshRunningError) as exc:
        print(f"lmi: {exc}", file=sys.stderr)
        return EXIT_REFUSED


if __name__ == "__main__":
    sys.exit(main())
