"""One refresh at a time: an exclusive `filelock` lock on `data/refresh.lock` for the whole run.

DuckDB allows a single writing process per database file, and two runs interleaving their writes to the
working database or their moves into `assets/` would publish a mixture. So every run holds this lock from
its start (RunLockResource, run_start.py) to its end, and `lmi` holds it while it checks and plans. It is a
`flock` (filelock's UnixFileLock): the kernel drops it when the process ends, however it ends (a SIGKILLed
run never leaves a stale lock), so the holder's details written into the file are only there to tell a
person who holds it.

The lock file lives in the data directory, beside the working folder `data/work/`, never inside it:
`data/work/` is documented as deletable, and a lock file deleted while held locks nothing (a second run
would create a new file and lock that). filelock never trusts a file unlinked between its open and its
`flock`; a holder checks again before each use of the working database (`RunLock.ensure`): if its file was
deleted or replaced, it takes the lock on the new file, or stops if another process already holds that.

A second run either waits a bounded time (`wait_seconds`) or stops at once, before any network call or
write, with a message naming the holder. Steps of one run that an executor puts in separate processes
(the UI's default for asset jobs) queue behind each other instead: the lock records the run id.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_NAME = "refresh.lock"  # in the data directory, beside data/work/
POLL_SECONDS = 0.2
# Even a run told not to wait retries this long: `running_holder` (a look, by `lmi` and the tests) holds
# the lock for an instant, and that must not make a run that is just starting refuse.
MIN_WAIT_SECONDS = 1.0
SAME_RUN_WAIT_SECONDS = 6 * 3600  # another step of the same run: wait for it, as an in-process run would


class RefreshRunningError(RuntimeError):
    """Another refresh holds the run lock. The message names its pid and start time."""


class LockLostError(RefreshRunningError):
    """This run's lock file was deleted or replaced while it ran, and another process locked the new one."""


def _file_lock(path: Path, on_acquired=None) -> FileLock:
    # preserve_lock_file: the path must keep naming the file waiters lock (and it refuses filelock's soft
    # fallback, a marker file a SIGKILL would leave behind). Not thread-local: Dagster may tear a resource
    # down in another thread than the one that set it up.
    return FileLock(path, thread_local=False, preserve_lock_file=True, poll_interval=POLL_SECONDS,
                    on_acquired=on_acquired)


class RunLock:
    """The run lock, with who holds it. Use `with RunLock(path).acquire(): ...` or acquire/release.

    Not reentrant across instances, even in one process: a second RunLock on the same path waits or refuses
    like another process would (a run started by a test or notebook that already holds it must not run)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = _file_lock(self.path, on_acquired=self._record)
        self._fd: int | None = None  # filelock's descriptor, borrowed while held: the holder's details go there
        self._identity: tuple[int, int] | None = None
        self._holder: dict = {}

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self, wait_seconds: float = 0.0, purpose: str = "refresh", run_id: str | None = None) -> "RunLock":
        """Take the lock, polling up to `wait_seconds` (much longer if a step of the same `run_id` holds it);
        raise RefreshRunningError naming the holder."""
        if self.held:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        if self.path.parent.exists() and not self.path.parent.is_dir():  # "data: File exists" would not say why
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._holder = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": purpose, "run_id": run_id}
        deadline = time.monotonic() + max(MIN_WAIT_SECONDS, wait_seconds)

        def give_up() -> bool:
            nonlocal deadline
            if run_id and _read_holder(self.path).get("run_id") == run_id:
                deadline = max(deadline, time.monotonic() + SAME_RUN_WAIT_SECONDS)
            return time.monotonic() >= deadline

        try:  # filelock's own timeout only bounds the longest wait; give_up decides
            self._lock.acquire(timeout=max(MIN_WAIT_SECONDS, wait_seconds) + SAME_RUN_WAIT_SECONDS,
                               cancel_check=give_up)
        except Timeout:
            waited = f" (waited {wait_seconds:.0f}s)" if wait_seconds > MIN_WAIT_SECONDS else ""
            raise RefreshRunningError(_refusal(_describe(_read_holder(self.path)), self.path, waited)) from None
        return self

    def _record(self, fd: int) -> None:
        """filelock's on_acquired: write who holds the lock into the file, and remember which file it is."""
        self._holder["since"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(self._holder).encode(), 0)
        st = os.fstat(fd)
        self._fd, self._identity = fd, (st.st_dev, st.st_ino)

    def ensure(self) -> str | None:
        """Check that the lock file this run holds is still the one at its path. If it was deleted or replaced
        (by hand, or with the folder it is in), lock the file now there, so no second run can start on it;
        returns a note saying so. Raises LockLostError if another process got there first."""
        if not self.held:
            raise RuntimeError(f"{self.path} is not held by this RunLock")
        if file_identity(self.path) == self._identity:
            return None
        replacement = RunLock(self.path)
        try:
            replacement.acquire(0.0, self._holder.get("purpose", "refresh"), self._holder.get("run_id"))
        except RefreshRunningError:
            holder = running_holder(self.path) or "another process"
            raise LockLostError(
                f"the run lock {self.path} was deleted or replaced while this run held it, and {holder} has locked "
                "the new file: two refreshes may be running at once, so this one stops here, before writing more. "
                "Never delete the lock file; let the other run finish, then run again.") from None
        self._lock.release(force=True)
        self._lock, self._fd, self._identity = replacement._lock, replacement._fd, replacement._identity
        return (f"the run lock {self.path} was deleted or replaced while this run held it; this run locked the "
                "new file at once, before any other run could. Never delete the lock file while a refresh runs.")

    def release(self) -> None:
        if not self.held:
            return
        try:
            if self._fd is not None:
                os.ftruncate(self._fd, 0)  # the holder's details go with the lock
        finally:
            self._fd = self._identity = None
            self._lock.release(force=True)

    def __enter__(self) -> "RunLock":
        if not self.held:
            self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def lock_path(work_dir: Path) -> Path:
    """The run lock of the working folder `work_dir` (data/work): beside it, in the data directory, so that
    deleting the working folder (it is rebuildable) can never delete the lock a running refresh holds."""
    return Path(work_dir).parent / LOCK_NAME


def running_refresh(work_dir: Path) -> str | None:
    """Who holds the lock right now, or None if nobody does."""
    return running_holder(lock_path(work_dir))


def running_holder(path: Path) -> str | None:
    """Who holds the lock file `path` right now, or None if nobody does (or there is no such file)."""
    if not Path(path).exists():
        return None
    probe = _file_lock(Path(path))
    try:
        probe.acquire(blocking=False)
    except Timeout:
        return _describe(_read_holder(Path(path)))
    except OSError:  # vanished or unreadable meanwhile: nobody can be named
        return None
    probe.release(force=True)
    return None


def _refusal(holder: str, path: Path, waited: str = "") -> str:
    return (f"another refresh is running{waited}: {holder}. It holds {path}, so this run stopped before fetching "
            "or writing anything. Let it finish (or stop that process), then run again; the published data is "
            "untouched.")


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, or None: tells a replaced or removed file from the one opened."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _read_holder(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_bytes()[:4096] or b"{}")
    except (OSError, ValueError):  # gone, or the holder is between truncate and write
        return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "a process that has just started"
    return (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, a {holder.get('purpose', 'refresh')} "
            f"started {holder.get('since', '?')}")
