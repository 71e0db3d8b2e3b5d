"""Compare two published databases table by table: same tables, same columns, same rows.

A change of structure must not change what researchers read. Run the demo before and after, keep a copy of
the first `data/lmi.duckdb`, then:

    .venv/bin/python scripts/compare_published.py before.duckdb data/lmi.duckdb

Rows are compared as multisets (order ignored), set-wise in DuckDB (EXCEPT ALL both ways). Columns that record
when or in which run something happened differ on every run by design and are left out: see VOLATILE. Exit 0
when every table is equal, 1 otherwise.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

# Timestamps and run ids differ on every run by design, and areas_file names where the project is checked out.
VOLATILE = re.compile(r"(_at|^as_of|_run_id|^run_id|^generated|^started|^finished|^areas_file)$")


def _tables(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[str]]:
    rows = conn.execute("""SELECT table_name, column_name FROM information_schema.columns
                           WHERE table_catalog = ? ORDER BY table_name, ordinal_position""", [catalog]).fetchall()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def compare(before: Path, after: Path, ignore: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(table, verdict) for every table in either database, leaving out VOLATILE columns and `ignore`."""
    conn = duckdb.connect()
    conn.execute(f"ATTACH '{before}' AS a (READ_ONLY)")
    conn.execute(f"ATTACH '{after}' AS b (READ_ONLY)")
    a, b = _tables(conn, "a"), _tables(conn, "b")
    verdicts = []
    for table in sorted(set(a) | set(b)):
        if table not in b:
            verdicts.append((table, "only in before"))
            continue
        if table not in a:
            verdicts.append((table, "only in after"))
            continue
        if a[table] != b[table]:
            verdicts.append((table, f"columns differ: {sorted(set(a[table]) ^ set(b[table])) or 'order'}"))
            continue
        skipped = [c for c in a[table] if VOLATILE.search(c) or c in ignore]
        cols = ", ".join(f'"{c}"' for c in a[table] if c not in skipped)
        n_a = conn.execute(f'SELECT count(*) FROM a."{table}"').fetchone()[0]
        n_b = conn.execute(f'SELECT count(*) FROM b."{table}"').fetchone()[0]
        lost = conn.execute(f'SELECT count(*) FROM (SELECT {cols} FROM a."{table}" EXCEPT ALL '
                            f'SELECT {cols} FROM b."{table}")').fetchone()[0]
        gained = conn.execute(f'SELECT count(*) FROM (SELECT {cols} FROM b."{table}" EXCEPT ALL '
                              f'SELECT {cols} FROM a."{table}")').fetchone()[0]
        note = f" (ignoring {', '.join(skipped)})" if skipped else ""
        verdicts.append((table, f"equal, {n_a:,} rows{note}" if not (lost or gained) else
                         f"DIFFERENT: {n_a:,} rows before, {n_b:,} after; {lost:,} only before, {gained:,} only after"))
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--ignore-columns", default="",
                        help="comma-separated columns to leave out too, e.g. url,query_url when the two runs' "
                             "upstream was served from different local ports (the benchmark's replay server)")
    args = parser.parse_args(argv)
    for path in (args.before, args.after):
        if not path.exists():
            parser.error(f"{path} does not exist")
    verdicts = compare(args.before, args.after, frozenset(filter(None, args.ignore_columns.split(","))))
    width = max(len(t) for t, _ in verdicts)
    for table, verdict in verdicts:
        print(f"{table:<{width}}  {verdict}")
    different = [t for t, v in verdicts if not v.startswith("equal")]
    print(f"\n{len(verdicts) - len(different)} of {len(verdicts)} tables equal"
          + (f"; different: {', '.join(different)}" if different else ""))
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
