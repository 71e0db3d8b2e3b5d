"""DuckDB: the working database every asset writes, and atomic publishing of the researchers' copy.

DuckDB allows one writing process at a time, and a read-write holder blocks even readers. So assets
write `data/work/lmi_build.duckdb`, and the publish step copies it into a fresh file and `os.replace`s
`data/lmi.duckdb`: a researcher's open read-only connection keeps its consistent old view, new
connections see the new data, and a failed run never touches it.

Crash safety (docs/reliability.md):
- A run holds `data/refresh.lock` (run_lock.py) from resource setup to teardown: one refresh at a time. It
  is in the data directory, not in the deletable `data/work/`, and the holder re-checks it before each use
  of the working database. Holding it, a run marks runs a killed process left "started" as failed and
  frees their pool slots (dead_runs.py), or the next run would wait for those slots forever.
- The working database is created only at setup, explicitly (and logged), never by `get_connection`: one
  deleted or replaced during a run stops that run instead of being silently recreated empty.
- Publishing writes a journal (`data/.lmi-publish.journal`, beside what it publishes) before it moves
  anything. First (state "prepare") every file is made ready beside its destination: the database copy as
  `.lmi.duckdb.next` and each staged file as `.<name>.lmi-next` in its destination folder, so every move
  after the commit is a rename within one folder and can never cross filesystems (LMI_DATA_DIR or
  LMI_ASSETS_DIR elsewhere). A run killed then leaves state "prepare", and those files are deleted. Then
  state "commit" (every rename, the database last), the renames, no journal. A run killed while renaming
  leaves state "commit", and the next run (or `lmi`) finishes them first, copying across filesystems if a
  journal of an older version asks for such a move.
- The published database is read-only on disk (0444) and replaced by one atomic rename, so readers only ever
  see a whole file. A write-ahead log beside it (`lmi.duckdb.wal`, left by a read-write session on the
  published copy) would make every reader of the new file fail ("WAL does not match database file"): it
  is removed in the same journalled step, just before the rename, and the published file is opened
  read-only after the rename to prove it. A read-write session still open on it refuses the publication.
- A run killed mid-load leaves DuckDB's write-ahead log; DuckDB replays committed transactions and drops
  the unfinished one when the working database is next opened (at setup, with a clear error if it cannot).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import struct
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator, Optional

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from lmi_pipeline.dead_runs import fail_killed_runs
from lmi_pipeline.run_lock import RunLock, lock_path
from lmi_pipeline.settings import DEFAULT_DUCKDB_MEMORY_LIMIT, check_writable

# Identical on every connection in a process (DuckDB refuses mixed configurations). No replacement
# scans: a missing table must be an error, not a Python variable that happens to share its name.
CONNECTION_CONFIG = {"python_enable_replacements": False}
# Researchers on DuckDB 1.4 (DBeaver, R, older CLIs) must be able to open the published file.
PUBLISHED_STORAGE_VERSION = "v1.4.0"
JOURNAL_NAME = ".lmi-publish.journal"
# The published database is read-only on disk: `duckdb data/lmi.duckdb` (read-write, DuckDB's default) then
# fails to open it instead of leaving a write-ahead log that breaks every reader of the next publication.
PUBLISHED_MODE = 0o444
# A staged file is made ready beside its destination as ".<name>" + this, then renamed onto it.
INCOMING_SUFFIX = ".lmi-next"
# The folders of assets/ a publication owns: a file in one of them that this publication did not write
# (a chart of a district no longer configured, a file of another source mode) is removed.
PUBLISHED_FOLDERS = ("charts", "report", "exports")
# A raw table's pages are staged in "<table>__incoming" before one transaction moves them into place.
STAGING_SUFFIX = "__incoming"


class WarehouseError(RuntimeError):
    """The working database cannot be used. The message says why and what to do."""


class PublishError(RuntimeError):
    """The publication cannot be made or proved readable. The message names the file and what to do."""


class WarehouseResource(DuckDBResource):
    """The working DuckDB database. Unlike DuckDBResource, always closes its connection.

    For the length of a run it holds the run lock (one refresh at a time), and at setup it checks that its
    folders are writable, finishes or discards a publication an earlier run was killed in, creates the
    working database if there is none (saying so), checks it opens, and drops the staging tables of a load
    that was killed. Within a run, `get_connection` never creates a database: if the file was deleted or
    replaced since setup (data/work removed mid-run), it stops the run. Outside a run (a test or notebook
    holding the resource), it opens or creates the file it was given.
    """

    connection_config: dict = CONNECTION_CONFIG
    # Set per connection, not in connection_config, so a notebook opening the same file with DuckDB's
    # defaults is not refused for a "different configuration".
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    # How long a run waits for another refresh to finish before refusing (0: refuse at once, clearly).
    lock_wait_seconds: float = 0.0
    # The working folder whose run lock this run takes (the lock lives beside it: run_lock.lock_path; shared
    # by every source mode), and where publications go (their journal); by default, beside the database.
    lock_dir: Optional[str] = None
    publish_dir: Optional[str] = None

    _lock: Optional[RunLock] = PrivateAttr(default=None)
    _identity: Optional[tuple[int, int]] = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.run.run_id if getattr(context, "run", None) else None
        database = Path(self.database)
        publish_dir = Path(self.publish_dir or database.parent)
        # Before anything else (and before any step makes a request): a read-only folder, named.
        check_writable([("data directory (LMI_DATA_DIR)", publish_dir), ("working directory", database.parent)])
        self._lock = RunLock(lock_path(Path(self.lock_dir or database.parent))).acquire(
            self.lock_wait_seconds, purpose=f"Dagster run {run}" if run else "refresh", run_id=run)
        try:
            note = recover_publication(publish_dir)
            if note and context.log:
                context.log.warning(note)
            if context.instance is not None:  # holding the lock: other unfinished runs of ours are dead
                dead = fail_killed_runs(context.instance, run)
                if dead and context.log:
                    context.log.warning(f"marked {len(dead)} run(s) killed earlier as failed, freeing their pool "
                                        f"slots: {', '.join(dead)}")
            if not database.exists():
                self._create()
                if context.log:
                    context.log.warning(f"there was no working database at {database} (a first run, or data/work was "
                                        "removed): created an empty one. This run fills it; refresh planning "
                                        "rebuilds whatever the run does not, and a publication missing months or "
                                        "areas the last one had is refused (publication_keeps_history).")
            left = self._open_and_tidy()
            if left and context.log:
                context.log.warning(f"dropped {len(left)} staging table(s) a failed or killed load left: "
                                    f"{', '.join(left)}; the tables they were for are as the last good load left them")
            self._identity = _identity(database)
        except BaseException:
            self._lock.release()
            self._lock = None
            raise

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        self._identity = None

    def _create(self) -> None:
        """Create an empty working database: the one explicit place a run does so."""
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        duckdb.connect(self.database, config=dict(self.connection_config)).close()

    def _open_and_tidy(self) -> list[str]:
        """Open the working database once, so a broken or busy file fails here, clearly, before any fetch.
        Drops staging tables a killed load left (holding the run lock, no load is under way); returns them."""
        path = Path(self.database)
        if not path.exists():
            return []
        try:
            conn = duckdb.connect(self.database, config=dict(self.connection_config))
            try:
                left = [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE suffix(table_name, ?)",
                                                   [STAGING_SUFFIX]).fetchall()]
                for table in left:
                    conn.execute(f"DROP TABLE {quote_ident(table)}")
                return left
            finally:
                conn.close()
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WarehouseError(
                    f"the working database {path} is open in another process ({str(exc).splitlines()[0]}). DuckDB "
                    "allows one writer: close that session (a duckdb shell or notebook on it). Researchers should "
                    "open the published copy, data/lmi.duckdb, read-only."
                ) from None
            raise _unusable(path, exc) from None
        except duckdb.Error as exc:
            raise _unusable(path, exc) from None

    def ensure_in_place(self) -> None:
        """Within a run: the run lock is still this run's, and the working database is the file set up for
        this run. Raises WarehouseError (or run_lock.LockLostError) otherwise. Outside a run: nothing."""
        if self._lock is None:
            return
        note = self._lock.ensure()
        if note:
            dg.get_dagster_logger().warning(note)
        path = Path(self.database)
        now = _identity(path)
        if now is None:
            raise WarehouseError(
                f"the working database {path} was deleted during this run (was data/work removed?). This run "
                "stops rather than write into a new, empty database, which would publish a fraction of the "
                "history; nothing was published. Run `lmi refresh` (or `lmi run`): planning sees what is missing "
                "and rebuilds it.")
        if self._identity is not None and now != self._identity:
            raise WarehouseError(
                f"the working database {path} was replaced by another file during this run. This run stops "
                "rather than mix the two; nothing was published. Run `lmi refresh` (or `lmi run`) again.")

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._lock is None:  # outside a run: the caller chose this file, and may create it
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        else:
            self.ensure_in_place()
        conn = duckdb.connect(self.database, config=dict(self.connection_config))
        try:
            limit_memory(conn, self.memory_limit)
            yield conn
        finally:
            conn.close()


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _unusable(path: Path, exc: Exception) -> WarehouseError:
    return WarehouseError(
        f"the working database {path} cannot be opened ({type(exc).__name__}: {str(exc).splitlines()[0]}). It holds "
        f"nothing that is not upstream or in the last publication: move it aside (mv {path} {path}.broken) and "
        "run `lmi run`, which refetches the full history. The published data/lmi.duckdb is not affected."
    )


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def limit_memory(conn: duckdb.DuckDBPyConnection, memory_limit: str) -> None:
    """Cap DuckDB's memory (it caches up to 80% of RAM by default) so big loads evict and spill instead."""
    conn.execute(f"SET memory_limit = {quote_literal(memory_limit)}")


def copy_database(work_db: Path, dest: Path, memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT) -> None:
    """Copy every table of the working database into a new file `dest` (DuckDB 1.4 storage), fsynced."""
    for leftover in (dest, wal_of(dest)):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG))
    try:
        limit_memory(con, memory_limit)
        # An in-memory database would spill to ./.tmp; keep it beside the working database instead.
        con.execute(f"SET temp_directory = {quote_literal(str(Path(work_db).parent / 'publish.tmp'))}")
        con.execute(f"ATTACH {quote_literal(str(work_db))} AS work (READ_ONLY)")
        con.execute(f"ATTACH {quote_literal(str(dest))} AS pub (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')")
        con.execute("COPY FROM DATABASE work TO pub")
        con.execute("DETACH pub")
        con.execute("DETACH work")
    except BaseException:
        for leftover in (dest, wal_of(dest)):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    if wal_of(dest).exists():  # DETACH checkpoints; a log left here would be this copy's own, never foreign
        raise PublishError(f"the database copy {dest} still has a write-ahead log after it was closed; not publishing.")
    _fsync(dest)


def wal_of(db: Path) -> Path:
    """DuckDB's write-ahead log of a database file (a file beside it; DuckDB replays it when opening)."""
    return Path(db).with_name(Path(db).name + ".wal")


def read_write_holder(db: Path) -> int | None:
    """The pid of a process holding `db` open read-write (DuckDB holds an fcntl write lock on the file while
    it is open read-write), or None. Read-only readers hold a shared lock, which does not count."""
    try:
        fd = os.open(db, os.O_RDONLY)
    except OSError:
        return None
    try:
        query = struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, 0, 0, 0)
        kind, _, _, _, pid = struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_GETLK, query))
        return pid if kind != fcntl.F_UNLCK else None
    except OSError:  # a filesystem without POSIX locks: nobody can be told apart
        return None
    finally:
        os.close(fd)


def open_read_only_problem(db: Path) -> str | None:
    """Why `db` cannot be opened read-only, as a researcher would (a fresh DuckDB, no cached instance), or None."""
    con = duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG))
    try:
        con.execute(f"ATTACH {quote_literal(str(db))} AS published (READ_ONLY)")
        con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = 'published'").fetchone()
        con.execute("DETACH published")
        return None
    except duckdb.Error as exc:
        return f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    finally:
        con.close()


def _read_write_refusal(published: Path, pid: int) -> PublishError:
    return PublishError(
        f"{published} is open read-write by process {pid} (a duckdb shell, notebook or tool opened it without "
        "read-only). Publishing over it now would leave that session's write-ahead log "
        f"({wal_of(published).name}) beside the new file, and every reader would then fail. Nothing was "
        f"published: close that session (or stop process {pid}), then run again; open the published database "
        f"read-only (duckdb -readonly {published}, or read_only=True). The last publication is unchanged.")


def publish_database(work_db: Path, published: Path, log: dg.DagsterLogManager | None = None,
                     memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT) -> int:
    """Copy the working database into a new file and atomically replace `published`. Returns its size."""
    tmp = published.with_name(f".{published.name}.next")
    published.parent.mkdir(parents=True, exist_ok=True)
    copy_database(work_db, tmp, memory_limit)
    os.chmod(tmp, PUBLISHED_MODE)
    wal_of(published).unlink(missing_ok=True)
    replace_file(tmp, published)
    _fsync(published.parent)
    if log:
        log.info(f"published {published} ({published.stat().st_size:,} bytes)")
    return published.stat().st_size


def incoming_path(dest: Path) -> Path:
    """Where a file is made ready beside its destination (same folder, so the same filesystem)."""
    dest = Path(dest)
    return dest.with_name(f".{dest.name}{INCOMING_SUFFIX}")


def publish(work_db: Path, published: Path, staging_dir: Path, assets_dir: Path,
            memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT, warn: Callable[[str], None] | None = None) -> list[str]:
    """Publish the working database and every file staged for assets/ together; returns the files moved.

    1. refuse if a read-write session holds `published`; 2. journal "prepare" (what to delete if we die);
    3. the database copy beside its destination, proved to open read-only, and each staged file copied beside
    its own destination; 4. journal "commit" (every rename, the stale write-ahead log of the
    published file, the database last); 5. the renames; 6. no journal; 7. the published file must open
    read-only. A run killed after 4 is completed by the next `recover_publication`; one killed before is
    undone. `warn` is told what was repaired on the way (a foreign write-ahead log removed).
    """
    published, staging_dir, assets_dir = Path(published), Path(staging_dir), Path(assets_dir)
    journal = published.parent / JOURNAL_NAME
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.next")
    holder = read_write_holder(published) if published.exists() else None
    if holder is not None:
        raise _read_write_refusal(published, holder)
    staged = staged_moves(staging_dir, assets_dir)
    deletes = stale_files(assets_dir, [Path(dest) for _, dest in staged])
    ready = [(src, str(incoming_path(Path(dest))), dest) for src, dest in staged]
    _write_journal(journal, {"state": "prepare", "started": _now(),
                             "cleanup": [str(tmp), str(wal_of(tmp))] + [inc for _, inc, _ in ready]})
    try:
        copy_database(work_db, tmp, memory_limit)
        problem = open_read_only_problem(tmp)
        if problem:
            raise PublishError(f"the database copy {tmp} does not open read-only ({problem}); nothing was published.")
        os.chmod(tmp, PUBLISHED_MODE)
        for src, inc, _ in ready:
            _copy_beside(Path(src), Path(inc))
    except BaseException:
        for path in [tmp, wal_of(tmp)] + [Path(inc) for _, inc, _ in ready]:
            Path(path).unlink(missing_ok=True)
        journal.unlink(missing_ok=True)
        raise
    moves = [(inc, dest) for _, inc, dest in ready]
    moves.append((str(tmp), str(published)))  # last: the database says "this publication is complete"
    _write_journal(journal, {"state": "commit", "started": _now(), "moves": moves, "deletes": deletes,
                             "stale_wal": str(wal_of(published))})
    notes = []
    _roll_forward(moves, deletes, wal_of(published), notes)
    journal.unlink()
    shutil.rmtree(staging_dir, ignore_errors=True)  # what is left are copies of a file another asset also staged
    _fsync(journal.parent)
    for note in notes:
        if warn:
            warn(note)
    verify_published(published)
    return [str(Path(dest).relative_to(assets_dir)) for _, dest in moves[:-1]]


def verify_published(published: Path) -> None:
    """The published file must open read-only, as a researcher opens it; raise PublishError saying why not."""
    problem = open_read_only_problem(published)
    if problem is None:
        return
    holder = read_write_holder(published)
    who = (f" Process {holder} opened it read-write while it was being published: close that session, "
           f"delete {wal_of(published)} if it is still there, and run again.") if holder else (
        f" If {wal_of(published)} exists, a read-write session wrote it meanwhile: delete it and run again.")
    raise PublishError(f"{published} was published but does not open read-only ({problem}).{who} Researchers must "
                       f"open it read-only (duckdb -readonly {published}).")


def _copy_beside(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` (a file in its destination folder), fsynced. A copy, not a hard link: a later
    run writing into a staged file in place must never change a published one."""
    dest.unlink(missing_ok=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    shutil.copymode(src, dest)
    _fsync(dest)


def staged_moves(staging_dir: Path, assets_dir: Path) -> list[tuple[str, str]]:
    """(staged file, its place under assets/): staging/<asset>/<path> goes to assets/<path>."""
    if not staging_dir.exists():
        return []
    moves: dict[str, str] = {}
    for src in sorted(p for p in staging_dir.rglob("*") if p.is_file()):
        relative = src.relative_to(staging_dir)
        moves.setdefault(str(assets_dir / Path(*relative.parts[1:])), str(src))  # plotly.min.js: staged by several
    return [(src, dest) for dest, src in moves.items()]


def stale_files(assets_dir: Path, published: list[Path]) -> list[str]:
    """Files in a folder this publication writes (charts/, report/, exports/) that it does not write."""
    keep = {p.resolve() for p in published}
    folders = {p.relative_to(assets_dir).parts[0] for p in published if len(p.relative_to(assets_dir).parts) > 1}
    stale = []
    for folder in sorted(folders & set(PUBLISHED_FOLDERS)):
        stale += [str(p) for p in sorted((assets_dir / folder).rglob("*")) if p.is_file() and p.resolve() not in keep
                  and not p.name.endswith(INCOMING_SUFFIX)]
    return stale


def recover_publication(publish_dir: Path) -> str | None:
    """Finish (state "commit") or undo (state "prepare") a publication a killed run left; say what was done.

    Finishing copies across filesystems where a journal asks for a move that cannot be a rename (journals
    of earlier versions moved staged files from data/work straight into assets/). If a move still fails,
    WarehouseError names it and what to do; the journal stays, so the next run tries again."""
    journal = Path(publish_dir) / JOURNAL_NAME
    Path(publish_dir, f".{JOURNAL_NAME}.tmp").unlink(missing_ok=True)
    if not journal.exists():
        return None
    try:
        doc = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WarehouseError(
            f"the publication journal {journal} cannot be read ({type(exc).__name__}: {exc}). Look at it: if it "
            "says \"commit\", the moves it lists must be finished by hand; otherwise delete it and run again."
        ) from None
    if doc.get("state") == "commit":
        moves = [tuple(m) for m in doc["moves"]]
        stale_wal = doc.get("stale_wal") or (str(wal_of(Path(moves[-1][1]))) if moves else None)
        notes: list[str] = []
        published = Path(moves[-1][1]) if moves else None
        if published is not None and Path(moves[-1][0]).exists() and published.exists():
            holder = read_write_holder(published)
            if holder is not None:
                raise WarehouseError(f"cannot finish the publication interrupted at {doc.get('started', '?')}: "
                                     + str(_read_write_refusal(published, holder)))
        try:
            done = _roll_forward(moves, doc.get("deletes", []), Path(stale_wal) if stale_wal else None, notes)
        except OSError as exc:
            raise WarehouseError(
                f"cannot finish the publication interrupted at {doc.get('started', '?')}: {exc.filename or ''} "
                f"{exc.strerror or exc} (journal {journal}). Fix that (free space, permissions), then run again: the "
                "journal is kept, and the moves it still lists are finished first. Until then "
                f"{published} is the previous publication (or, if moved, this one).") from None
        note = (f"completed a publication interrupted at {doc.get('started', '?')}: moved the {done} file(s) "
                "it had not yet moved, so data/lmi.duckdb and assets/ match again.")
        note += "".join(f" {n}" for n in notes)
    else:
        for path in doc.get("cleanup", []):
            Path(path).unlink(missing_ok=True)
        note = (f"discarded an unfinished publication from {doc.get('started', '?')} (the run was stopped while "
                "copying the database); the published data was never touched.")
    journal.unlink()
    _fsync(Path(publish_dir))
    return note


def _roll_forward(moves: list[tuple[str, str]], deletes: list[str] = (), stale_wal: Path | None = None,
                  notes: list[str] | None = None) -> int:
    """Do the moves whose source is still there (the rest were done before an interruption), then remove
    the stale files; the database moves last, so a reader sees the old publication or the whole new one.
    Just before it, a write-ahead log beside the published database is removed: it belongs to the old file
    (a read-write session on it), and DuckDB would try to replay it into the new one and fail."""
    done, dirs = 0, set()
    for src, dest in moves[:-1]:
        if Path(src).exists():
            replace_file(Path(src), Path(dest))
            dirs.add(Path(dest).parent)
            done += 1
    for path in deletes:
        Path(path).unlink(missing_ok=True)
    for src, dest in moves[-1:]:
        if Path(src).exists():
            if stale_wal is not None and stale_wal.exists():
                stale_wal.unlink()
                if notes is not None:
                    notes.append(
                        f"removed {stale_wal}: a write-ahead log left beside the published database by a session "
                        "that opened it read-write (DuckDB's default) and was killed or never closed. Its changes "
                        "were to the previous copy and are not part of any publication; left there, it would "
                        "have made every reader of the new file fail. Open the published database read-only: "
                        f"duckdb -readonly {dest}.")
            replace_file(Path(src), Path(dest))
            dirs.add(Path(dest).parent)
            done += 1
    for d in dirs:
        _fsync(d)
    return done


def _write_journal(journal: Path, doc: dict) -> None:
    journal.parent.mkdir(parents=True, exist_ok=True)
    tmp = journal.with_name(f".{journal.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    _fsync(tmp)
    os.replace(tmp, journal)
    _fsync(journal.parent)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def replace_file(src: Path, dest: Path) -> None:
    """Move a fully written file into place atomically. Within a filesystem a rename; across filesystems
    (EXDEV: only for journals of earlier versions, which moved files between folders) a copy beside `dest`,
    fsynced, renamed onto it, then the source removed, so `dest` is still only ever whole."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    _fsync(src)
    try:
        os.replace(src, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        ready = incoming_path(dest)
        shutil.copyfile(src, ready)
        shutil.copymode(src, ready)
        _fsync(ready)
        os.replace(ready, dest)
        os.unlink(src)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
