"""`lmi`: run the pipeline headlessly.

    lmi run               materialise every asset (full history); in demo mode, build the snapshot first
    lmi refresh           what the nightly schedule and sensor do, once: observe upstream, fetch only what is new
    lmi sql [QUERY]       query the published database read-only (one query, or statements from stdin)
    lmi demo-snapshot     rebuild the synthetic demo snapshot for the areas in lmi.toml

Both runs end with a summary of every source and exit 0 (all fresh), 3 (published with stale or
unavailable sources), 1 (nothing published) or 2 (refused before running), or 130 (stopped by Ctrl-C):
see lmi_pipeline/operations/run_summary.py. Every failure is a message that says what to do, never a traceback
(docs/reliability.md).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
import time
from pathlib import Path

from dotenv import load_dotenv

from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.geography.areas import AreasConfig, AreasError, load_areas
from lmi_pipeline.operations.console import console_logger
from lmi_pipeline.operations.run_summary import (
    EXIT_FAILED, EXIT_FRESH, EXIT_INTERRUPTED, EXIT_REFUSED, exit_code, read_outcomes, summary,
)
from lmi_pipeline.runtime.run_lock import RefreshRunningError, RunLock, lock_path
from lmi_pipeline.settings import Settings, SettingsError, load_settings

INTERRUPTED = "interrupted; the last publication is unchanged"
_published: list[str] = []  # set once this run has published: a Ctrl-C after that must not say "unchanged"
_held: list[RunLock] = []  # the run lock, from the checks until the run takes it (or the command ends)


class Refused(RuntimeError):
    """A file `lmi` needs before the run cannot be used (exit 2). The message names it and what to do."""


def _why(exc: BaseException) -> str:
    """An OSError or a decoding error in a few words, for a one-line message."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at position {exc.start}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _prepare_environment() -> None:
    env = Path(".env")
    if env.exists():
        try:
            load_dotenv(env, override=False)
        except (OSError, UnicodeDecodeError) as exc:
            raise Refused(f"{env.resolve()}: cannot be read ({_why(exc)}). It is optional: fix it (UTF-8 text, "
                          "KEY=value lines, as in .env.example) or move it aside.") from None
    # Runs go into the project's instance (storage under .dagster/, see dagster.yaml), so `make dev` shows them.
    os.environ.setdefault("DAGSTER_HOME", str(Path.cwd().resolve()))


def _load_areas(path: Path) -> AreasConfig:
    """load_areas, with a file that cannot be read (a folder, not UTF-8, no permission) refused by name."""
    try:
        return load_areas(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(f"{path}: cannot be read ({_why(exc)}). The areas file must be a readable UTF-8 text file: "
                      "fix it, copy lmi.toml from the repository, or set LMI_AREAS_FILE to your own.") from None


def _open_instance():
    """The Dagster instance of DAGSTER_HOME, opened and read once, so a broken dagster.yaml or damaged run
    history is refused here, by name, before any request."""
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME", "")
    instance = None
    try:
        instance = dg.DagsterInstance.get()
        instance.get_runs(limit=1)
        return instance
    except Exception as exc:  # yaml, config, sqlite, OS errors: Dagster raises many kinds here
        if instance is not None:
            instance.dispose()
        detail = " ".join(str(exc).split()).split(" Expected: ")[0]  # Dagster's config errors list the schema
        detail = detail if len(detail) <= 300 else detail[:300] + "..."
        raise Refused(
            f"the Dagster instance in {home} (DAGSTER_HOME) cannot be opened ({type(exc).__name__}: {detail}). If "
            f"{Path(home) / 'dagster.yaml'} was edited, fix it (the repository's dagster.yaml is the reference); if "
            "the run history it keeps (.dagster/ by default) is damaged, move that folder aside (mv .dagster "
            ".dagster.broken): it holds only run history and logs, and data/ and assets/ are untouched.") from None


def cmd_demo_snapshot(args: argparse.Namespace) -> int:
    from lmi_demo.snapshot import build_demo_snapshot

    settings = load_settings()
    _load_areas(settings.areas_file)
    with RunLock(lock_path(settings.work_dir)).acquire(purpose="demo snapshot build"):
        path = build_demo_snapshot(settings)
    print(f"demo snapshot (synthetic demo data) written to {path}")
    return 0


def _preflight(settings: Settings, say: bool = True) -> AreasConfig:
    """Everything refused before any network call: lmi.toml (its shape, and its codes and ward names
    against the last publication where it can; docs/reliability.md), and a refresh already running."""
    from lmi_pipeline.geography.area_reference import check_areas_offline, load_reference, offline_check_enabled

    areas = _load_areas(settings.areas_file)
    if offline_check_enabled():
        notes = check_areas_offline(areas, load_reference(settings.published_db))
        for note in notes if say else []:
            print(f"note: {note}")
    _take_run_lock(settings)  # after the checks that write nothing: a refused lmi.toml leaves no data/
    return areas


def _take_run_lock(settings: Settings) -> None:
    """Hold the run lock from here until the run starts: a second refresh is refused before it plans or
    makes any request, and a publication a killed run left is finished (or undone) before planning reads
    the published database. Released by `_hand_over_run_lock` just before the run, whose RunLockResource
    takes it again at its start (a run started meanwhile makes that refuse, with the same message)."""
    from lmi_pipeline.database.publication import recover_publication

    if _held:
        return
    try:
        _held.append(RunLock(lock_path(settings.work_dir)).acquire(purpose="refresh by lmi, checking and planning"))
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):  # named as planning names it (exit 2)
            settings.check_writable()
        raise
    note = recover_publication(settings.data_dir)
    if note:
        print(f"note: {note}")


def _hand_over_run_lock() -> None:
    """Release the lock lmi holds, if any. Not lent to the run: a second RunLock in this process refuses
    like another process would, which is what keeps a stray in-process run out."""
    while _held:
        _held.pop().release()


def _observe(definitions, instance):
    """Run observe_upstream_releases (what the nightly schedule launches) in this process: every upstream's
    release stamp is recorded as an observation in the instance, as the sensor reads them."""
    from lmi_pipeline.operations.runs import interrupted

    job = definitions.resolve_job_def("observe_upstream_releases").with_logger_defs({"console": console_logger()})
    result = job.execute_in_process(instance=instance, raise_on_error=False,
                                    run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    if interrupted(result):  # a Ctrl-C before the run: one line, as while planning
        raise KeyboardInterrupt
    return result


def _refresh(settings: Settings, everything: bool, started: float | None = None) -> int:
    """Observe the upstreams, plan as the refresh_on_release sensor does (refresh.py), then run the plan.
    `started`: when the command began (the times it prints cover a demo snapshot build before this)."""
    from lmi_pipeline.definitions import defs
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.operations.refresh import plan_refresh, refresh_selection
    from lmi_pipeline.operations.runs import execute, failure_messages, interrupted

    areas = _preflight(settings)  # a bad lmi.toml or a running refresh stops here, before any network call
    started = time.monotonic() if started is None else started
    definitions = defs()
    job = definitions.resolve_job_def("lmi_refresh").with_logger_defs({"console": console_logger()})
    resources = build_resources(settings)
    with _open_instance() as instance:
        settings.check_writable()  # a read-only folder is named before any request (observing is requests)
        result = _observe(definitions, instance)
        if result.success:
            plan = plan_refresh(instance, resources["nomis"], areas.start_month, areas.revision_window_months,
                                everything=everything, dfe=resources["dfe"], work_db=settings.work_db)
            print(plan.summary())
            if plan.nothing_to_do:
                print(f"nothing new upstream ({plan.requests} small requests, {time.monotonic() - started:.1f}s); "
                      "the published data is current.")
                return EXIT_FRESH
            selection = None if everything else refresh_selection(definitions, plan)
            _hand_over_run_lock()
            result = execute(job, instance, tags=plan.partition_tags(), asset_selection=selection)
    elapsed = time.monotonic() - started
    if interrupted(result):
        print(f"lmi: {_after_interrupt(settings, result)} (after {elapsed:.1f}s, run {result.run_id})", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not result.success:
        message = "\n".join(failure_messages(result)) or "see the Dagster logs (make dev)"
        print(f"\nlmi FAILED after {elapsed:.1f}s (run {result.run_id}).\n{message}\n"
              f"The last published {settings.published_db} and {settings.assets_dir}/ are unchanged.", file=sys.stderr)
        return EXIT_FAILED
    _published.append(str(settings.published_db))
    outcomes = read_outcomes(settings.work_db, result.run_id)
    code = exit_code(outcomes)
    mode = "synthetic demo data" if settings.source_mode == "demo" else f"{settings.source_mode} mode"
    verdict = "succeeded" if code == EXIT_FRESH else "published, with stale sources,"
    print(f"\n{summary(outcomes)}\n\nlmi {verdict} in {elapsed:.1f}s ({mode}, run {result.run_id}; exit {code}).\n"
          f"  database : {settings.published_db}   (query it: .venv/bin/lmi sql, or make sql)\n"
          f"  files    : {settings.assets_dir}/\n"
          f"  UI       : make dev   (then open http://127.0.0.1:3000; this run is in its history)")
    return code


def _after_interrupt(settings: Settings, result) -> str:
    """What a Ctrl-C left published. Dagster stopped the step and tore the resources down (the run lock is
    released); a publication interrupted between its first and last move is completed here, as the next
    run would, so data/lmi.duckdb and assets/ always match."""
    from lmi_pipeline.database.publication import JOURNAL_NAME, recover_publication
    from lmi_pipeline.operations.runs import step_succeeded

    if step_succeeded(result, "published_database"):
        return (f"interrupted after publishing; {settings.published_db} and {settings.assets_dir}/ hold this run's "
                "publication")
    if (settings.data_dir / JOURNAL_NAME).exists():
        try:
            with RunLock(lock_path(settings.work_dir)).acquire(purpose="finishing an interrupted publication"):
                note = recover_publication(settings.data_dir)
        except RefreshRunningError:  # another run took the lock meanwhile: it finishes the publication first
            note = None
        if note and note.startswith("completed"):
            return (f"interrupted while publishing, after the new publication was committed: it was completed, so "
                    f"{settings.published_db} and {settings.assets_dir}/ hold this run's publication")
    return INTERRUPTED


def cmd_run(args: argparse.Namespace) -> int:
    from lmi_demo.snapshot import build_demo_snapshot, check_snapshot, snapshot_is_current

    started = time.monotonic()
    settings = load_settings()
    _preflight(settings, say=False)  # before the demo snapshot is (re)built, too
    if settings.source_mode == "demo":
        if not snapshot_is_current(settings):  # a damaged manifest is refused, by name
            print("building the synthetic demo snapshot for lmi.toml ...")
            # Under the run lock (_preflight took it): two runs rebuilding data/snapshot/ at once would
            # leave a mixture.
            build_demo_snapshot(settings)
        else:
            check_snapshot(settings)
    return _refresh(settings, everything=True, started=started)


def cmd_refresh(args: argparse.Namespace) -> int:
    from lmi_demo.snapshot import check_snapshot

    settings = load_settings()
    if settings.source_mode == "demo":
        check_snapshot(settings)
    return _refresh(settings, everything=False)


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from lmi_pipeline.operations.sql_shell import open_read_only, run_statement, shell

    settings = load_settings()
    try:
        conn = open_read_only(settings.published_db)
    except FileNotFoundError as exc:
        raise Refused(str(exc)) from None
    with conn:
        if args.query:
            try:
                run_statement(conn, args.query)
            except duckdb.Error as exc:
                print(f"lmi sql: {exc}", file=sys.stderr)
                return EXIT_REFUSED
            return 0
        return shell(conn, sys.stdin, interactive=sys.stdin.isatty())


COMMANDS = [
    ("run", cmd_run, "materialise every asset and publish data/lmi.duckdb and assets/",
     "Fetch every source for the areas in lmi.toml (LMI_SOURCE=demo replays the bundled synthetic demo data, "
     "building it first if lmi.toml changed; live calls Nomis, ONS and DfE), rebuild every table, chart and the "
     "report, and publish data/lmi.duckdb and assets/ atomically. A failed run leaves the last publication as it "
     "was. Exit 0 all fresh, 3 published with stale sources, 1 nothing published, 2 refused, 130 interrupted."),
    ("refresh", cmd_refresh, "fetch only what is new upstream, then rebuild and publish",
     "What the nightly refresh does, for the areas in lmi.toml: observe every upstream's release stamp, then "
     "fetch only the new or revisable claimant-count months and the sources whose release changed, rebuild and "
     "publish. Nothing new upstream: a few small requests, nothing written, exit 0. Exit codes as for `lmi run`."),
    ("sql", cmd_sql, "query the published database, read-only",
     "Open the published database (data/lmi.duckdb) read-only and run QUERY, or read statements ended by ';' "
     "from the terminal or a pipe. Nothing else to install; reading never holds up the next publication. "
     "Areas are in lmi.toml; the tables and columns are described in docs/data-dictionary.md."),
    ("demo-snapshot", cmd_demo_snapshot, "rebuild the synthetic demo snapshot",
     "Rebuild data/snapshot/, the synthetic demo data `lmi run` replays when LMI_SOURCE=demo, for the areas in "
     "lmi.toml (lmi run does this by itself when lmi.toml changed)."),
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lmi-pipeline")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lmi", description="lmi-pipeline: ward-level labour market intelligence. "
                                     "Areas come from lmi.toml; sources and folders from the environment (.env).")
    parser.add_argument("--version", action="version", version=f"lmi-pipeline {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, one_line, description in COMMANDS:
        command = sub.add_parser(name, help=one_line, description=description)
        command.set_defaults(func=func)
        if name == "sql":
            command.add_argument("query", nargs="?", help="one SQL statement (quote it); none: read statements")
    args = parser.parse_args(argv)
    from dagster import DagsterExecutionInterruptedError

    from lmi_demo.snapshot import SnapshotError
    from lmi_pipeline.database.publication import PublishError
    from lmi_pipeline.operations.runs import OUT_OF_MEMORY

    _published.clear()
    try:
        _prepare_environment()
        return args.func(args)
    except UpstreamError as exc:  # asking what is new upstream failed (offline, or the service is down)
        print(f"lmi: {exc}\nlmi: nothing was fetched or published; the last publication is unchanged.",
              file=sys.stderr)
        return EXIT_REFUSED
    except (AreasError, SettingsError, RefreshRunningError, SnapshotError, Refused, PublishError) as exc:
        print(f"lmi: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (KeyboardInterrupt, DagsterExecutionInterruptedError):  # before the run (checks, planning, the demo
        # snapshot, which is built aside and moved into place whole), or after it
        print(f"lmi: interrupted after publishing {_published[0]}" if _published else f"lmi: {INTERRUPTED}",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print(f"lmi: {OUT_OF_MEMORY}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # a folder lmi needs cannot be made or written (data/ a file, no space, permissions)
        if not exc.filename:
            print(f"lmi: {_why(exc)}; nothing was published.", file=sys.stderr)
        else:
            print(f"lmi: {exc.filename}: {_why(exc)}. Check that the data and assets folders (LMI_DATA_DIR, "
                  "LMI_ASSETS_DIR) are folders this user can write, with free space; nothing was published.",
                  file=sys.stderr)
        return EXIT_FAILED
    finally:
        _hand_over_run_lock()  # a command that stopped before its run: the lock goes with it


if __name__ == "__main__":
    sys.exit(main())
