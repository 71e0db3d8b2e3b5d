"""Runs a killed `lmi` left "started" in the Dagster instance.

A run killed with SIGKILL (or by a power cut) never records its end, so the instance keeps it as STARTED,
with the concurrency-pool slots its steps had claimed (`dagster.yaml` pools: nomis_api, duckdb_writer, ...
each limit 1): the next run would wait for those slots forever. Dagster's run monitoring (dagster.yaml
`run_monitoring`) covers runs the daemon launched and watches, but not these: `lmi run` and `lmi refresh`
execute the job in their own process (`execute_in_process`, no run launcher, usually no daemon), and the
default run launcher cannot tell a dead run worker from a live one. So the run lock's holder, at run start
(no other refresh of this project is alive then), marks failed every other STARTED run whose process no
longer exists on this machine, and frees its slots. Public Dagster APIs only.
"""

from __future__ import annotations

import os

import dagster as dg


def fail_killed_runs(instance: dg.DagsterInstance, current_run_id: str | None = None) -> list[str]:
    """Mark STARTED runs whose process is gone as failed and free their pool slots; return their ids."""
    if not _runs_only_here(instance):
        return []
    done = []
    for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        if run.run_id == current_run_id:
            continue
        pid = _pid(instance, run.run_id)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        instance.report_run_failed(run, f"The process running this run (pid {pid}) no longer exists: it was killed. "
                                        "Marked failed by lmi when the next run started; its pool slots were freed.")
        # What run monitoring's free_slots_after_run_end_seconds does, now rather than when a daemon runs.
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        done.append(run.run_id)
    return done


def _runs_only_here(instance: dg.DagsterInstance) -> bool:
    """A pid means something only on the machine that ran the run: an instance on a shared database (e.g.
    Postgres) holds runs of other machines, and those are its daemon's to monitor."""
    return type(instance.run_storage).__name__.lower().startswith(("sqlite", "inmemory"))


def _pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid that started the run (its RUN_START event), if recorded."""
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_START, limit=1).records
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
