"""One refresh at a time: an exclusive lock on `data/refresh.lock` for the whole run.

DuckDB allows a single writing process per database file, and two runs interleaving their writes to the
working database or their moves into `assets/` would publish a mixture. So every run holds an `fcntl`
lock from the moment its warehouse resource is set up until teardown. The kernel drops the lock when the
process ends, however it ends (a SIGKILLed run never leaves a stale lock), so the pid written into the
file is only there to tell a person which process holds it.

The lock file lives in the data directory, beside the working folder `data/work/`, never inside it:
`data/work/` is documented as deletable, and a lock file deleted while held locks nothing (a second run
would create a new file and lock that). A lock is only taken on the file the path names once it is locked
(the inode is checked after `flock`, so a file unlinked meanwhile is never trusted), and a holder checks
again before each use of the working database (`RunLock.ensure`): if its file was deleted or replaced, it
takes the lock on the new file, or stops if another process already holds that.

A second run either waits a bounded time (`wait_seconds`) or stops at once, before any network call or
write, with a message naming the holder. Steps of one run that an executor puts in separate processes
(the UI's default for asset jobs) queue behind each other instead: the lock records the run id.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path

LOCK_NAME = "refresh.lock"  # in the data directory, beside data/work/
POLL_SECONDS = 0.2
# Even a run told not to wait retries this long: `running_refresh` (a look before any network call) holds
# a shared lock for an instant, and that must not make a run that is just starting refuse.
MIN_WAIT_SECONDS = 1.0
SAME_RUN_WAIT_SECONDS = 6 * 3600  # another step of the same run: wait for it, as an in-process run would


class RefreshRunningError(RuntimeError):
    """Another refresh holds the run lock. The message names its pid and start time."""


class LockLostError(RefreshRunningError):
    """This run's lock file was deleted or replaced while it ran, and another process locked the new one."""


class RunLock:
    """An exclusive, non-reentrant lock file. Use `with RunLock(path).acquire(): ...` or acquire/release."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None
        self._holder: dict = {}

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, wait_seconds: float = 0.0, purpose: str = "refresh", run_id: str | None = None) -> "RunLock":
        """Take the lock, polling up to `wait_seconds` (much longer if a step of the same `run_id` holds it);
        raise RefreshRunningError naming the holder."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this RunLock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + max(MIN_WAIT_SECONDS, wait_seconds)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _names(self.path, fd):
                    break
                # The file was unlinked or replaced between open and flock: a lock on it locks nothing.
                os.close(fd)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                continue
            except BlockingIOError:
                if not _names(self.path, fd):  # held, but no longer the file at the path: look at that one
                    os.close(fd)
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                    continue
                if run_id and _read_holder(fd).get("run_id") == run_id:
                    deadline = max(deadline, time.monotonic() + SAME_RUN_WAIT_SECONDS)
                if time.monotonic() >= deadline:
                    holder = _describe(_read_holder(fd))
                    os.close(fd)
                    waited = f" (waited {wait_seconds:.0f}s)" if wait_seconds > MIN_WAIT_SECONDS else ""
                    raise RefreshRunningError(_refusal(holder, self.path, waited)) from None
                time.sleep(POLL_SECONDS)
        self._holder = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": purpose, "run_id": run_id,
                        "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        _write_holder(fd, self._holder)
        self._fd = fd
        return self

    def ensure(self) -> str | None:
        """Check that the lock file this run holds is still the one at its path. If it was deleted or replaced
        (by hand, or with the folder it is in), lock the file now there, so no second run can start on it;
        returns a note saying so. Raises LockLostError if another process got there first."""
        if self._fd is None:
            raise RuntimeError(f"{self.path} is not held by this RunLock")
        if _names(self.path, self._fd):
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
        old, self._fd, replacement._fd = self._fd, replacement._fd, None
        os.close(old)
        return (f"the run lock {self.path} was deleted or replaced while this run held it; this run locked the "
                "new file at once, before any other run could. Never delete the lock file while a refresh runs.")

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # the holder's details go with the lock
        finally:
            os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> "RunLock":
        if self._fd is None:
            self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def lock_path(work_dir: Path) -> Path:
    """The run lock of the working folder `work_dir` (data/work): beside it, in the data directory, so that
    deleting the working folder (it is rebuildable) can never delete the lock a running refresh holds."""
    return data_lock_path(Path(work_dir).parent)


def data_lock_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOCK_NAME


def running_refresh(work_dir: Path) -> str | None:
    """Who holds the lock right now (for a check before any network call), or None if nobody does."""
    return running_holder(lock_path(work_dir))


def running_holder(path: Path) -> str | None:
    """Who holds the lock file `path` right now, or None if nobody does (or there is no such file)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _describe(_read_holder(fd))
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def refuse_if_running(work_dir: Path) -> None:
    """Raise RefreshRunningError if a refresh holds the lock (the run itself still takes the lock)."""
    holder = running_refresh(work_dir)
    if holder is not None:
        raise RefreshRunningError(_refusal(holder, lock_path(work_dir)))


def _refusal(holder: str, path: Path, waited: str = "") -> str:
    return (f"another refresh is running{waited}: {holder}. It holds {path}, so this run stopped before fetching "
            "or writing anything. Let it finish (or stop that process), then run again; the published data is "
            "untouched.")


def _names(path: Path, fd: int) -> bool:
    """Whether `path` still names the file open as `fd` (not unlinked, not replaced by another file)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _write_holder(fd: int, holder: dict) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode(), 0)


def _read_holder(fd: int) -> dict:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:  # the holder is between truncate and write
        return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "a process that has just started"
    return (f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, a {holder.get('purpose', 'refresh')} "
            f"started {holder.get('since', '?')}")
