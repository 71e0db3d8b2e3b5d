"""Running the refresh job headlessly (for `lmi run`, `lmi refresh` and cron), with visible progress."""

from __future__ import annotations

import os
import sys
import threading
import uuid

import dagster as dg


def failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    """For each failed step, 'step: the innermost error message' (Dagster wraps user errors); a failure
    before any step (e.g. a resource refusing to start: another refresh is running) as 'run: ...'."""
    out = []
    steps_failed = any(event.is_step_failure for event in result.all_events)
    for event in result.all_events:
        if event.is_step_failure:
            error, where = event.step_failure_data.error, event.step_key
        elif event.is_run_failure and not steps_failed and getattr(event.job_failure_data, "error", None):
            error, where = event.job_failure_data.error, "run"
        else:
            continue
        while error.cause is not None:
            error = error.cause
        message = error.message.strip()
        module, sep, rest = message.partition(f"{error.cls_name}: ")
        if sep and (not module or module.endswith(".")):  # run-level errors repeat "package.Class: "
            message = rest
        if error.cls_name == "MemoryError":  # carries no message of its own
            message = OUT_OF_MEMORY
        elif error.cls_name == "OutOfMemoryException":  # DuckDB, at its memory_limit
            message = f"{message.splitlines()[0] if message else 'out of memory'}. {DUCKDB_OUT_OF_MEMORY}"
        out.append(f"{where}: {error.cls_name}: {message}")
    return out


# What ran out, and what to do (docs/performance.md has the measured peaks).
OUT_OF_MEMORY = ("out of memory: Python could not allocate memory. Nothing was published. Configure fewer areas in "
                 "lmi.toml, close other programs, or run on a machine with more memory (a national run peaks at "
                 "about 1.4 GB; docs/performance.md).")
DUCKDB_OUT_OF_MEMORY = ("DuckDB reached its memory limit (LMI_DUCKDB_MEMORY_LIMIT, default 1GB). Nothing was "
                        "published. Raise it if the machine has the memory (e.g. LMI_DUCKDB_MEMORY_LIMIT=2GB), or "
                        "configure fewer areas in lmi.toml.")
INTERRUPTED_ERRORS = {"KeyboardInterrupt", "DagsterExecutionInterruptedError"}


def interrupted(result: dg.ExecuteInProcessResult) -> bool:
    """True if the run stopped because of Ctrl-C (SIGINT), in a step or between steps."""
    for event in result.all_events:
        data = (event.step_failure_data if event.is_step_failure else
                event.job_failure_data if event.is_run_failure else None)
        error = getattr(data, "error", None)
        while error is not None:
            if error.cls_name in INTERRUPTED_ERRORS:
                return True
            error = error.cause
        if event.event_type == dg.DagsterEventType.RUN_CANCELED:
            return True
    return False


def step_succeeded(result: dg.ExecuteInProcessResult, step_key: str) -> bool:
    return any(e.is_step_success and e.step_key == step_key for e in result.all_events)


def execute(job: dg.JobDefinition, instance: dg.DagsterInstance, tags: dict[str, str] | None = None,
            asset_selection: list[dg.AssetKey] | None = None, progress: bool | None = None) -> dg.ExecuteInProcessResult:
    """Run the job in this process. On a terminal, show a progress bar of steps; otherwise log at INFO
    (per source and per page), which is what cron mails and journald keep.

    The run is in the calling thread (the bar in another): Dagster handles Ctrl-C only in the main thread,
    where it stops the running step, tears the resources down (releasing the run lock) and marks the run
    failed (`interrupted(result)` says so). In a thread of its own, a Ctrl-C only stopped the waiting, and
    the run went on to publish."""
    progress = sys.stderr.isatty() if progress is None else progress
    run_id = str(uuid.uuid4())  # chosen here so the progress bar can follow the run; Dagster's ids are uuid4
    level = "WARNING" if progress else "INFO"
    run_config = {"loggers": {"console": {"config": {"log_level": level}}}}
    done = threading.Event()
    bar = None
    if progress:
        bar = threading.Thread(target=_show_progress, name="lmi-progress", daemon=True,
                               args=(instance, run_id, done, None if asset_selection else len(job.graph.node_dict)))
        bar.start()
    try:
        return job.execute_in_process(instance=instance, tags=tags, asset_selection=asset_selection, run_id=run_id,
                                      raise_on_error=False, run_config=run_config)
    finally:
        done.set()
        if bar is not None:
            bar.join(5)


def _show_progress(instance: dg.DagsterInstance, run_id: str, stop: threading.Event, total: int | None) -> None:
    from tqdm import tqdm

    # Dagster captures each step's stdout/stderr at the file-descriptor level, which would swallow the bar:
    # draw it on a duplicate of the terminal's descriptor instead.
    terminal = os.fdopen(os.dup(sys.stderr.fileno()), "w")
    bar = tqdm(total=total, unit="step", desc="lmi", file=terminal)
    done: set[str] = set()
    while not stop.wait(0.5):
        try:
            plan = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_START).records
            finished = instance.get_records_for_run(
                run_id, of_type={dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE,
                                 dg.DagsterEventType.STEP_SKIPPED}).records
        except Exception:  # the run may not be registered yet
            continue
        started = [r.event_log_entry.step_key for r in plan]
        new = {r.event_log_entry.step_key for r in finished} - done
        done |= new
        bar.total = max(bar.total or 0, len(started))
        bar.update(len(new))
        running = [s for s in started if s not in done]
        if running:
            bar.set_postfix_str(running[-1])
    bar.close()
    terminal.close()
