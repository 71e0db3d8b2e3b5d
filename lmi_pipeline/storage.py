"""DuckDB: the working database every asset writes, and atomic publishing of the researchers' copy.

DuckDB allows one writing process at a time, and a read-write holder blocks even readers. So assets
write `data/work/lmi_build.duckdb`, and the publish step copies it into a fresh file and `os.replace`s
`data/lmi.duckdb`: a researcher's open read-only connection keeps its consistent old view, new
connections see the new data, and a failed run never touches it.

Crash safety (docs/reliability.md):
- A run holds `data/work/refresh.lock` (run_lock.py) from resource setup to teardown: one refresh at a time.
  Holding it, it marks runs a killed process left "started" as failed and frees their pool slots
  (dead_runs.py), or the next run would wait for those slots forever.
- Publishing writes a journal (`data/.lmi-publish.journal`, beside what it publishes) before it moves anything. A run killed while
  moving files leaves a journal in state "commit", and the next run (or `lmi`) finishes those moves
  first; one killed while copying leaves state "prepare", and its half-written temp files are deleted.
  The published database file is replaced by one atomic rename, so readers only ever see a whole file.
- A run killed mid-load leaves DuckDB's write-ahead log; DuckDB replays committed transactions and drops
  the unfinished one when the working database is next opened (at setup, with a clear error if it cannot).
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Optional

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from lmi_pipeline.dead_runs import fail_dead_runs
from lmi_pipeline.run_lock import RunLock, lock_path
from lmi_pipeline.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

# Identical on every connection in a process (DuckDB refuses mixed configurations). No replacement
# scans: a missing table must be an error, not a Python variable that happens to share its name.
CONNECTION_CONFIG = {"python_enable_replacements": False}
# Researchers on DuckDB 1.4 (DBeaver, R, older CLIs) must be able to open the published file.
PUBLISHED_STORAGE_VERSION = "v1.4.0"
JOURNAL_NAME = ".lmi-publish.journal"
# The folders of assets/ a publication owns: a file in one of them that this publication did not write
# (a chart of a district no longer configured, a file of another source mode) is removed.
PUBLISHED_FOLDERS = ("charts", "report", "exports")
# A raw table's pages are staged in "<table>__incoming" before one transaction moves them into place.
STAGING_SUFFIX = "__incoming"


class WarehouseError(RuntimeError):
    """The working database cannot be used. The message says why and what to do."""


class WarehouseResource(DuckDBResource):
    """The working DuckDB database. Unlike DuckDBResource, always closes its connection.

    For the length of a run it holds the run lock (one refresh at a time), and at setup it finishes or
    discards a publication an earlier run was killed in, checks the working database opens, and drops the
    staging tables of a load that was killed.
    """

    connection_config: dict = CONNECTION_CONFIG
    # Set per connection, not in connection_config, so a notebook opening the same file with DuckDB's
    # defaults is not refused for a "different configuration".
    memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT
    # How long a run waits for another refresh to finish before refusing (0: refuse at once, clearly).
    lock_wait_seconds: float = 0.0
    # Where the run lock lives (shared by every source mode) and where publications go (their journal);
    # by default, beside the database.
    lock_dir: Optional[str] = None
    publish_dir: Optional[str] = None

    _lock: Optional[RunLock] = PrivateAttr(default=None)


    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.run.run_id if getattr(context, "run", None) else None
        self._lock = RunLock(lock_path(Path(self.lock_dir or Path(self.database).parent))).acquire(
            self.lock_wait_seconds, purpose=f"Dagster run {run}" if run else "refresh", run_id=run)
        try:
            note = recover_publication(Path(self.publish_dir or Path(self.database).parent))
            if note and context.log:
                context.log.warning(note)
            if context.instance is not None:  # holding the lock: other unfinished runs of ours are dead
                dead = fail_dead_runs(context.instance, run)
                if dead and context.log:
                    context.log.warning(f"marked {len(dead)} run(s) killed earlier as failed, freeing their pool "
                                        f"slots: {', '.join(dead)}")
            left = self._open_and_tidy()
            if left and context.log:
                context.log.warning(f"dropped {len(left)} staging table(s) a failed or killed load left: "
                                    f"{', '.join(left)}; the tables they were for are as the last good load left them")
        except BaseException:
            self._lock.release()
            raise

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()

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

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(self.database, config=dict(self.connection_config))
        try:
            limit_memory(conn, self.memory_limit)
            yield conn
        finally:
            conn.close()


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
    for leftover in (dest, dest.with_name(dest.name + ".wal")):
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
        for leftover in (dest, dest.with_name(dest.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    _fsync(dest)


def publish_database(work_db: Path, published: Path, log: dg.DagsterLogManager | None = None,
                     memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT) -> int:
    """Copy the working database into a new file and atomically replace `published`. Returns its size."""
    tmp = published.with_name(f".{published.name}.next")
    published.parent.mkdir(parents=True, exist_ok=True)
    copy_database(work_db, tmp, memory_limit)
    replace_file(tmp, published)
    _fsync(published.parent)
    if log:
        log.info(f"published {published} ({published.stat().st_size:,} bytes)")
    return published.stat().st_size


def publish(work_db: Path, published: Path, staging_dir: Path, assets_dir: Path,
            memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT) -> list[str]:
    """Publish the working database and every file staged for assets/ together; returns the files moved.

    1. journal "prepare" (what to delete if we die), 2. copy the database next to its destination,
    3. journal "commit" (every move, the database last), 4. the moves (atomic renames), 5. no journal.
    A run killed after 3 is completed by the next `recover_publication`; one killed before 3 is undone.
    """
    journal = published.parent / JOURNAL_NAME
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.next")
    _write_journal(journal, {"state": "prepare", "started": _now(),
                             "cleanup": [str(tmp), str(tmp) + ".wal"]})
    try:
        copy_database(work_db, tmp, memory_limit)
    except BaseException:
        journal.unlink(missing_ok=True)
        raise
    moves = staged_moves(Path(staging_dir), Path(assets_dir))
    deletes = stale_files(Path(assets_dir), [Path(dest) for _, dest in moves])
    moves.append((str(tmp), str(published)))  # last: the database says "this publication is complete"
    _write_journal(journal, {"state": "commit", "started": _now(), "moves": moves, "deletes": deletes})
    _roll_forward(moves, deletes)
    journal.unlink()
    shutil.rmtree(staging_dir, ignore_errors=True)  # what is left are copies of a file another asset also staged
    _fsync(journal.parent)
    return [str(Path(dest).relative_to(assets_dir)) for _, dest in moves[:-1]]


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
        stale += [str(p) for p in sorted((assets_dir / folder).rglob("*")) if p.is_file() and p.resolve() not in keep]
    return stale


def recover_publication(publish_dir: Path) -> str | None:
    """Finish (state "commit") or undo (state "prepare") a publication a killed run left; say what was done."""
    journal = Path(publish_dir) / JOURNAL_NAME
    Path(publish_dir, f".{JOURNAL_NAME}.tmp").unlink(missing_ok=True)
    if not journal.exists():
        return None
    doc = json.loads(journal.read_text(encoding="utf-8"))
    if doc.get("state") == "commit":
        moves = [tuple(m) for m in doc["moves"]]
        done = _roll_forward(moves, doc.get("deletes", []))
        note = (f"completed a publication interrupted at {doc.get('started', '?')}: moved the {done} file(s) "
                "it had not yet moved, so data/lmi.duckdb and assets/ match again.")
    else:
        for path in doc.get("cleanup", []):
            Path(path).unlink(missing_ok=True)
        note = (f"discarded an unfinished publication from {doc.get('started', '?')} (the run was stopped while "
                "copying the database); the published data was never touched.")
    journal.unlink()
    _fsync(Path(publish_dir))
    return note


def _roll_forward(moves: list[tuple[str, str]], deletes: list[str] = ()) -> int:
    """Do the moves whose source is still there (the rest were done before an interruption), then remove
    the stale files; the database moves last, so a reader sees the old publication or the whole new one."""
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
    """Move a fully written file into place atomically (same filesystem)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    _fsync(src)
    os.replace(src, dest)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
