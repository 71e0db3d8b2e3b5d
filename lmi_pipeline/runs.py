"""Running the refresh job headlessly (for `lmi run`, `lmi refresh` and cron), with visible progress."""

from __future__ import annotations

import os
import sys
import threading
import time

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.utils import make_new_run_id


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
        out.append(f"{where}: {error.cls_name}: {message}")
    return out


def execute(job: dg.JobDefinition, instance: dg.DagsterInstance, tags: dict[str, str] | None = None,
            asset_selection: list[dg.AssetKey] | None = None, progress: bool | None = None) -> dg.ExecuteInProcessResult:
    """Run the job in this process. On a terminal, show a progress bar of steps; otherwise log at INFO
    (per source and per page), which is what cron mails and journald keep."""
    progress = sys.stderr.isatty() if progress is None else progress
    run_id = make_new_run_id()
    level = "WARNING" if progress else "INFO"
    run_config = {"loggers": {"console": {"config": {"log_level": level}}}}
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["result"] = job.execute_in_process(instance=instance, tags=tags, asset_selection=asset_selection,
                                                       run_id=run_id, raise_on_error=False, run_config=run_config)
        except BaseException as exc:  # surfaced in the calling thread
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="lmi-run")
    thread.start()
    if progress:
        _show_progress(instance, run_id, thread, None if asset_selection else len(job.graph.node_dict))
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _show_progress(instance: dg.DagsterInstance, run_id: str, thread: threading.Thread, total: int | None) -> None:
    from tqdm import tqdm

    # Dagster captures each step's stdout/stderr at the file-descriptor level, which would swallow the bar:
    # draw it on a duplicate of the terminal's descriptor instead.
    terminal = os.fdopen(os.dup(sys.stderr.fileno()), "w")
    bar = tqdm(total=total, unit="step", desc="lmi", file=terminal)
    done: set[str] = set()
    while thread.is_alive():
        time.sleep(0.5)
        try:
            plan = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_START).records
            finished = instance.get_records_for_run(
                run_id, of_type={DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
                                 DagsterEventType.STEP_SKIPPED}).records
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
