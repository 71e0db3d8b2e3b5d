"""Runs that a killed process left "started" in the Dagster instance.

A run killed with SIGKILL (or by a power cut) never records its end, so the instance keeps it as
STARTED, and keeps the concurrency-pool slots its steps had claimed (`dagster.yaml` pools: nomis_api,
duckdb_writer, ... each limit 1). Without Dagster's daemon to notice, the next `lmi run` waits for those
slots forever. So, once a run holds the run lock (no other refresh of this project is alive), any other
STARTED run whose process no longer exists on this machine is marked failed and its slots are freed.
"""

from __future__ import annotations

import os

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.storage.dagster_run import DagsterRunStatus, RunsFilter

UNFINISHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def fail_dead_runs(instance: dg.DagsterInstance, current_run_id: str | None = None) -> list[str]:
    """Mark unfinished runs whose process is gone as failed and free their pool slots; return their ids."""
    if not _local(instance):
        return []  # a shared instance (e.g. Postgres) may hold runs of other machines: leave them to its daemon
    done = []
    for run in instance.get_runs(RunsFilter(statuses=UNFINISHED)):
        if run.run_id == current_run_id:
            continue
        pid = _pid(instance, run.run_id)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        instance.report_run_failed(run, f"The process running this run (pid {pid}) no longer exists: it was killed. "
                                        "Marked failed by lmi when the next run started; its pool slots were freed.")
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        done.append(run.run_id)
    return done


def _local(instance: dg.DagsterInstance) -> bool:
    return type(instance.run_storage).__name__.lower().startswith(("sqlite", "inmemory"))


def _pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid that started the run (its RUN_START event), if recorded."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_START, limit=1).records
    if not records or records[0].event_log_entry.dagster_event is None:
        return None
    return records[0].event_log_entry.dagster_event.pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
