"""The start of a run: the run lock, and what only its holder may do before any step.

RunLockResource is nested in WarehouseResource, so every run that touches the working database holds the
lock (run_lock.py) from resource setup to teardown, in whatever process runs its steps. Holding it, no
other refresh of this project is alive, so this is the one safe moment to clear up after a killed one:
finish or undo its publication (publication.recover_publication), mark its Dagster run failed and free
its pool slots (dead_runs.py), and drop the staging tables its load left (which the next publication would
otherwise copy). `lmi` takes the same lock itself while it checks and plans (cli.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import dagster as dg
from pydantic import PrivateAttr

from lmi_pipeline.runtime.dead_runs import fail_killed_runs
from lmi_pipeline.runtime.run_lock import RunLock, lock_path
from lmi_pipeline.settings import check_writable


class RunLockResource(dg.ConfigurableResource):
    """One refresh at a time, for the length of a run; at its start, what a killed run left is cleared up."""

    # The working folder (data/work) whose run lock this run takes: the lock lives beside it, in the data
    # directory (run_lock.lock_path), and is shared by every source mode.
    lock_dir: str
    # How long a run waits for another refresh to finish before refusing (0: refuse at once, clearly).
    wait_seconds: float = 0.0
    # Where publications go (their journal); by default the lock's folder.
    publish_dir: Optional[str] = None
    # The working database, whose staging tables a killed load left are dropped; and whose folder must be
    # writable, like the data directory, before the run starts.
    work_db: Optional[str] = None

    _lock: Optional[RunLock] = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.run.run_id if getattr(context, "run", None) else None
        publish_dir = Path(self.publish_dir or self.lock_dir)
        folders = [("data directory (LMI_DATA_DIR)", publish_dir)]
        if self.work_db:
            folders.append(("working directory", Path(self.work_db).parent))
        check_writable(folders)  # before anything else (and before any step makes a request), named
        self._lock = RunLock(lock_path(Path(self.lock_dir))).acquire(
            self.wait_seconds, purpose=f"Dagster run {run}" if run else "refresh", run_id=run)
        try:
            self._clear_up_after_killed_runs(context, publish_dir, run)
        except BaseException:
            self._lock.release()
            self._lock = None
            raise

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def ensure(self) -> None:
        """The lock is still this run's (run_lock.RunLock.ensure); raises run_lock.LockLostError if not."""
        if self._lock is None:
            return
        note = self._lock.ensure()
        if note:
            dg.get_dagster_logger().warning(note)

    def _clear_up_after_killed_runs(self, context: dg.InitResourceContext, publish_dir: Path,
                                    run: str | None) -> None:
        # Here, not at the top: storage (and so publication) nests this resource in WarehouseResource.
        from lmi_pipeline.database.publication import recover_publication
        from lmi_pipeline.database.storage import drop_staging_tables

        warn = context.log.warning if context.log else (lambda message: None)
        note = recover_publication(publish_dir)
        if note:
            warn(note)
        if context.instance is not None:
            dead = fail_killed_runs(context.instance, run)
            if dead:
                warn(f"marked {len(dead)} run(s) killed earlier as failed, freeing their pool slots: {', '.join(dead)}")
        left = drop_staging_tables(Path(self.work_db)) if self.work_db else []
        if left:
            warn(f"dropped {len(left)} staging table(s) a failed or killed load left: {', '.join(left)}; the tables "
                 "they were for are as the last good load left them")
