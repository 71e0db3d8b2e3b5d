"""DuckDB: the working database every asset writes, and atomic publishing of the researchers' copy.

DuckDB allows one writing process at a time, and a read-write holder blocks even readers. So assets
write `data/work/lmi_build.duckdb` (through the `duckdb_writer` pool), and the publish step copies it
into a fresh file and `os.replace`s `data/lmi.duckdb`: a researcher's open read-only connection keeps
its consistent old view, new connections see the new data, and a failed run never touches it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

# Identical on every connection in a process (DuckDB refuses mixed configurations). No replacement
# scans: a missing table must be an error, not a Python variable that happens to share its name.
CONNECTION_CONFIG = {"python_enable_replacements": False}
# Researchers on DuckDB 1.4 (DBeaver, R, older CLIs) must be able to open the published file.
PUBLISHED_STORAGE_VERSION = "v1.4.0"


class WarehouseResource(DuckDBResource):
    """The working DuckDB database. Unlike DuckDBResource, always closes its connection."""

    connection_config: dict = CONNECTION_CONFIG

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        conn = duckdb.connect(self.database, config=dict(self.connection_config))
        try:
            yield conn
        finally:
            conn.close()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def publish_database(work_db: Path, published: Path, log: dg.DagsterLogManager | None = None) -> int:
    """Copy the working database into a new file and atomically replace `published`. Returns its size."""
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG))
    try:
        con.execute(f"ATTACH {quote_literal(str(work_db))} AS work (READ_ONLY)")
        con.execute(f"ATTACH {quote_literal(str(tmp))} AS pub (STORAGE_VERSION '{PUBLISHED_STORAGE_VERSION}')")
        con.execute("COPY FROM DATABASE work TO pub")
        con.execute("DETACH pub")
        con.execute("DETACH work")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    _fsync(tmp)
    os.replace(tmp, published)
    _fsync(published.parent)
    if log:
        log.info(f"published {published} ({published.stat().st_size:,} bytes)")
    return published.stat().st_size


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
