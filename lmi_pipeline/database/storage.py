"""DuckDB: the working database every asset writes, and the SQL and file helpers around it.

Assets write `data/work/<family>/lmi_build.duckdb`; publication.py copies it (copy_database) into the
researchers' `data/lmi.duckdb`. The working database is created in DuckDB 1.4's storage format, the format
researchers' tools must read, so publishing is a checkpoint and a file copy, not a rewrite. WarehouseResource only opens the database: the run lock and what a run
clears up at its start (a killed run's publication, Dagster runs and staging tables) are RunLockResource's
(run_start.py), nested in it so every run that touches the database holds the lock.

- The working database is created only at setup, explicitly (and logged), never by `get_connection`: one
  deleted or replaced during a run stops that run instead of being silently recreated empty.
- A run killed mid-load leaves DuckDB's write-ahead log; DuckDB replays committed transactions and drops
  the unfinished one when the working database is next opened (at setup, with a clear error if it cannot).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import struct
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from lmi_pipeline.runtime.run_lock import file_identity
from lmi_pipeline.runtime.run_start import RunLockResource
from lmi_pipeline.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

# Identical on every connection in a process (DuckDB refuses mixed configurations). No replacement
# scans: a missing table must be an error, not a Python variable that happens to share its name.
CONNECTION_CONFIG = {"python_enable_replacements": False}
# Researchers on DuckDB 1.4 (DBeaver, R, older CLIs) must be able to open the published file.
PUBLISHED_STORAGE_VERSION = "v1.4.0"
# A raw table's pages are staged in "<table>__incoming" before one transaction moves them into place.
STAGING_SUFFIX = "__incoming"


class WarehouseError(RuntimeError):
    """The working database cannot be used. The message says why and what to do."""


class WarehouseResource(DuckDBResource):
    """The working DuckDB database. Unlike DuckDBResource, always closes its connection.

    At setup it creates the working database if there is none (saying so) and checks it opens. Within a
    run, `get_connection` never creates a database: if the file was deleted or replaced since setup
    (data/work removed mid-run), it stops the run. Outside a run (a test or notebook holding the
    resource), it opens or creates the file it was given.
    """

    connection_config: dict = CONNECTION_CONFIG
    # Set per connection, not in connection_config, so a notebook opening the same file with DuckDB's
    # defaults is not refused for a "different configuration".
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    # The run lock, held for the length of the run (set up by Dagster before this resource). None: no
    # lock, for tests and notebooks that use the database alone.
    run_lock: Optional[RunLockResource] = None

    _identity: Optional[tuple[int, int]] = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        database = Path(self.database)
        if not database.exists():
            self._create()
            if context.log:
                context.log.warning(f"there was no working database at {database} (a first run, or data/work was "
                                    "removed): created an empty one. This run fills it; refresh planning "
                                    "rebuilds whatever the run does not, and a publication missing months or "
                                    "areas the last one had is refused (publication_keeps_history).")
        self._check_opens()
        self._identity = file_identity(database)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._identity = None

    def _create(self) -> None:
        """Create an empty working database: the one explicit place a run does so."""
        create_database(Path(self.database), dict(self.connection_config))

    def _check_opens(self) -> None:
        """Open the working database once, so a broken or busy file fails here, clearly, before any fetch."""
        try:
            duckdb.connect(self.database, config=dict(self.connection_config)).close()
        except duckdb.Error as exc:
            raise _cannot_open(Path(self.database), exc) from None

    def ensure_in_place(self) -> None:
        """Within a run: the run lock is still this run's, and the working database is the file set up for
        this run. Raises WarehouseError (or run_lock.LockLostError) otherwise. Outside a run: nothing."""
        if self._identity is None:
            return
        if self.run_lock is not None:
            self.run_lock.ensure()
        path = Path(self.database)
        now = file_identity(path)
        if now is None:
            raise WarehouseError(
                f"the working database {path} was deleted during this run (was data/work removed?). This run "
                "stops rather than write into a new, empty database, which would publish a fraction of the "
                "history; nothing was published. Run `lmi refresh` (or `lmi run`): planning sees what is missing "
                "and rebuilds it.")
        if now != self._identity:
            raise WarehouseError(
                f"the working database {path} was replaced by another file during this run. This run stops "
                "rather than mix the two; nothing was published. Run `lmi refresh` (or `lmi run`) again.")

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._identity is None:  # outside a run: the caller chose this file, and may create it
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        else:
            self.ensure_in_place()
        conn = duckdb.connect(self.database, config=dict(self.connection_config))
        try:
            limit_memory(conn, self.memory_limit)
            yield conn
        finally:
            conn.close()


def drop_staging_tables(database: Path) -> list[str]:
    """Drop the staging tables a killed load left in `database` (by the run lock's holder: no load is under
    way then); returns them. A database that does not exist or does not open is left alone: opening it is
    WarehouseResource's, which then says clearly why it cannot."""
    if not Path(database).exists():
        return []
    try:
        conn = duckdb.connect(str(database), config=dict(CONNECTION_CONFIG))
    except duckdb.Error:
        return []
    try:
        left = [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE suffix(table_name, ?)",
                                           [STAGING_SUFFIX]).fetchall()]
        for table in left:
            conn.execute(f"DROP TABLE {quote_ident(table)}")
        return left
    finally:
        conn.close()


def _cannot_open(path: Path, exc: duckdb.Error) -> WarehouseError:
    if isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower():
        return WarehouseError(
            f"the working database {path} is open in another process ({str(exc).splitlines()[0]}). DuckDB "
            "allows one writer: close that session (a duckdb shell or notebook on it). Researchers should "
            "open the published copy, data/lmi.duckdb, read-only.")
    return _unusable(path, exc)


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


def create_database(path: Path, config: dict | None = None) -> None:
    """A new, empty DuckDB file in the published storage format (DuckDB keeps a file's format for its life)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(path), config={**(config or CONNECTION_CONFIG),
                                      "storage_compatibility_version": PUBLISHED_STORAGE_VERSION}).close()


def storage_version(db: Path) -> str:
    """The storage format a DuckDB file is written in, e.g. 'v1.4.0+' (DuckDB's storage_version tag)."""
    con = duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG))
    try:
        con.execute(f"ATTACH {quote_literal(str(db))} AS probe (READ_ONLY)")
        return con.execute("SELECT tags['storage_version'] FROM duckdb_databases() "
                           "WHERE database_name = 'probe'").fetchone()[0] or ""
    finally:
        con.close()


def copy_database(work_db: Path, dest: Path, memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT) -> str:
    """Copy the working database into a new file `dest` (DuckDB 1.4 storage), fsynced; returns how ('file' or
    'tables'). No connection to `work_db` may be open in this process meanwhile (the run lock keeps others out).

    A working database in the published format (every one created since the format was set at creation) is
    checkpointed, so the file alone holds every committed table, and copied as a file: seconds for gigabytes
    (the kernel's copy; the filesystem may share the blocks). An older one is copied table by table into a new
    1.4 file (COPY FROM DATABASE). To move an older working database to file copies, delete data/work: the next
    run rebuilds it in the published format.
    """
    for leftover in (dest, wal_of(dest)):
        leftover.unlink(missing_ok=True)
    try:
        if storage_version(work_db).startswith(PUBLISHED_STORAGE_VERSION):
            _checkpoint(work_db)
            shutil.copyfile(work_db, dest)
            how = "file"
        else:
            _copy_tables(work_db, dest, memory_limit)
            how = "tables"
    except BaseException:
        for leftover in (dest, wal_of(dest)):
            leftover.unlink(missing_ok=True)
        raise
    fsync(dest)
    return how


def _checkpoint(db: Path) -> None:
    """Fold the write-ahead log into the file: after it, the file alone is the database."""
    con = duckdb.connect(str(db), config=dict(CONNECTION_CONFIG))
    try:
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if wal_of(db).exists() and wal_of(db).stat().st_size > 0:
        raise WarehouseError(f"{db} still has a write-ahead log after a checkpoint (is another session writing "
                             "it?): not copying a database the file alone does not hold.")


def _copy_tables(work_db: Path, dest: Path, memory_limit: str) -> None:
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
    finally:
        con.close()


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


def fsync(path: Path) -> None:
    """Flush a file (or a folder, for the renames in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
