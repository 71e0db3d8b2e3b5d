"""`lmi sql`: the published database, read-only, from the command line, with nothing else to install.

The DuckDB Python package the project installs has no shell of its own, and a read-write session would hold
the file against the next publication. With a query, it runs it and prints the result; without one, it reads
statements (ended by `;`) from the terminal or a pipe until end of input.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

PROMPT, MORE = "lmi-sql> ", "    ...> "
MAX_ROWS = 200  # printed per result; `LIMIT` or COPY ... TO for more


def open_read_only(published: Path) -> duckdb.DuckDBPyConnection:
    if not published.is_file():
        raise FileNotFoundError(f"no published database at {published}: run `make run` (or `lmi run`) first.")
    return duckdb.connect(str(published), read_only=True)


def run_statement(conn: duckdb.DuckDBPyConnection, sql: str, out=None) -> None:
    """Run one statement and print its result, if it has one (at most MAX_ROWS rows, and how many there were)."""
    out = out or sys.stdout
    relation = conn.sql(sql)
    if relation is None:  # a statement with no result (SET, PRAGMA ...)
        return
    rows = relation.limit(MAX_ROWS + 1).fetchall()
    names = relation.columns
    shown = [[("NULL" if v is None else str(v)) for v in row] for row in rows[:MAX_ROWS]]
    widths = [max([len(n)] + [len(r[i]) for r in shown]) for i, n in enumerate(names)]
    print(" | ".join(n.ljust(w) for n, w in zip(names, widths)), file=out)
    print("-+-".join("-" * w for w in widths), file=out)
    for row in shown:
        print(" | ".join(v.ljust(w) for v, w in zip(row, widths)), file=out)
    more = " (more not shown: add LIMIT, or COPY (...) TO 'file.csv')" if len(rows) > MAX_ROWS else ""
    print(f"({len(shown)} row{'s' if len(shown) != 1 else ''}{more})", file=out)


def shell(conn: duckdb.DuckDBPyConnection, lines, interactive: bool, out=None, err=None) -> int:
    """Read `;`-ended statements from `lines`; a failed one is reported and the next is read. Returns 0, or 1
    if any statement failed and the input was not a terminal (a script should notice)."""
    out, err = out or sys.stdout, err or sys.stderr
    failed, buffer = False, []
    if interactive:
        print("read-only; end each statement with ';', Ctrl-D to leave.", file=out)
        print(PROMPT, end="", file=out, flush=True)
    for line in lines:
        buffer.append(line)
        if not line.rstrip().endswith(";"):
            if interactive:
                print(MORE if "".join(buffer).strip() else PROMPT, end="", file=out, flush=True)
            continue
        sql, buffer = "".join(buffer).strip(), []
        try:
            run_statement(conn, sql, out)
        except duckdb.Error as exc:
            failed = True
            print(f"lmi sql: {exc}", file=err)
        if interactive:
            print(PROMPT, end="", file=out, flush=True)
    if "".join(buffer).strip():
        print("lmi sql: the last statement has no closing ';' and was not run.", file=err)
        failed = True
    return 1 if failed and not interactive else 0
