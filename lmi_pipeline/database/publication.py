"""Publishing the researchers' copy: the working database and the files staged for assets/, together.

DuckDB allows one writing process at a time, and a read-write holder blocks even readers. So assets write
the working database, and publishing copies it into a fresh file (a checkpoint and a file copy: the working
database is kept in the published storage format) and `os.replace`s `data/lmi.duckdb`: a
researcher's open read-only connection keeps its consistent old view, new connections see the new data,
and a failed run never touches it. Plain code (no Dagster): the publish asset calls `publish`, the run
lock's holder and `lmi` call `recover_publication` before anything else (docs/reliability.md).

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
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from lmi_pipeline.database.storage import copy_database, fsync, open_read_only_problem, read_write_holder, wal_of
from lmi_pipeline.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

JOURNAL_NAME = ".lmi-publish.journal"
# The published database is read-only on disk: `duckdb data/lmi.duckdb` (read-write, DuckDB's default) then
# fails to open it instead of leaving a write-ahead log that breaks every reader of the next publication.
PUBLISHED_MODE = 0o444
# A staged file is made ready beside its destination as ".<name>" + this, then renamed onto it.
INCOMING_SUFFIX = ".lmi-next"
# The folders of assets/ a publication owns: a file in one of them that this publication did not write
# (a chart of a district no longer configured, a file of another source mode) is removed.
PUBLISHED_FOLDERS = ("charts", "report", "exports")


class PublishError(RuntimeError):
    """The publication cannot be made, finished or proved readable. The message names the file and what to do."""


def _read_write_refusal(published: Path, pid: int) -> PublishError:
    return PublishError(
        f"{published} is open read-write by process {pid} (a duckdb shell, notebook or tool opened it without "
        "read-only). Publishing over it now would leave that session's write-ahead log "
        f"({wal_of(published).name}) beside the new file, and every reader would then fail. Nothing was "
        f"published: close that session (or stop process {pid}), then run again; open the published database "
        f"read-only (duckdb -readonly {published}, or read_only=True). The last publication is unchanged.")


def incoming_path(dest: Path) -> Path:
    """Where a file is made ready beside its destination (same folder, so the same filesystem)."""
    dest = Path(dest)
    return dest.with_name(f".{dest.name}{INCOMING_SUFFIX}")


def publish(work_db: Path, published: Path, staging_dir: Path, assets_dir: Path,
            memory_limit: str = DEFAULT_DUCKDB_MEMORY_LIMIT, warn: Callable[[str], None] | None = None) -> list[str]:
    """Publish the working database and every file staged for assets/ together; returns the files moved.

    1. refuse if a read-write session holds `published`; 2. journal "prepare" (what to delete if we die);
    3. the database copy beside its destination (storage.copy_database), proved to open read-only, and each staged file copied beside
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
        if wal_of(tmp).exists():  # DETACH checkpoints; a log left here would be this copy's own, never foreign
            raise PublishError(f"the database copy {tmp} still has a write-ahead log after it was closed; not "
                               "publishing.")
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
    fsync(journal.parent)
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
    fsync(dest)


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
    PublishError names it and what to do; the journal stays, so the next run tries again."""
    journal = Path(publish_dir) / JOURNAL_NAME
    Path(publish_dir, f".{JOURNAL_NAME}.tmp").unlink(missing_ok=True)
    if not journal.exists():
        return None
    try:
        doc = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PublishError(
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
                raise PublishError(f"cannot finish the publication interrupted at {doc.get('started', '?')}: "
                                     + str(_read_write_refusal(published, holder)))
        try:
            done = _roll_forward(moves, doc.get("deletes", []), Path(stale_wal) if stale_wal else None, notes)
        except OSError as exc:
            raise PublishError(
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
    fsync(Path(publish_dir))
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
        fsync(d)
    return done


def _write_journal(journal: Path, doc: dict) -> None:
    journal.parent.mkdir(parents=True, exist_ok=True)
    tmp = journal.with_name(f".{journal.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    fsync(tmp)
    os.replace(tmp, journal)
    fsync(journal.parent)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def replace_file(src: Path, dest: Path) -> None:
    """Move a fully written file into place atomically. Within a filesystem a rename; across filesystems
    (EXDEV: only for journals of earlier versions, which moved files between folders) a copy beside `dest`,
    fsynced, renamed onto it, then the source removed, so `dest` is still only ever whole."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fsync(src)
    try:
        os.replace(src, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        ready = incoming_path(dest)
        shutil.copyfile(src, ready)
        shutil.copymode(src, ready)
        fsync(ready)
        os.replace(ready, dest)
        os.unlink(src)
