"""Where the claimant path's transform time goes: DuckDB's own profile of every statement it runs.

    python -m benchmarks.profile_transform <workdir> [--memory-limit 1GB] [--top 6]

Runs the real transform code of the claimant path (`build_claimant_count`, the `area_indicators` SQL with
every figures file, the `ward_indicators` SQL) on a copy of the working database a benchmark run left
(benchmarks/bench.py), with DuckDB's profiler on (the JSON form of EXPLAIN
ANALYZE) for each statement, and prints each statement's wall time and its costliest operators as Markdown.
The copy is deleted afterwards; the benchmark's own files are not changed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import duckdb


class _Rows:
    """A statement's rows, fetched before the next statement (profiling's own PRAGMAs) replaces them."""

    def __init__(self, rows: list[tuple]):
        self._rows = rows

    def fetchall(self) -> list[tuple]:
        return self._rows

    def fetchone(self) -> tuple | None:
        return self._rows[0] if self._rows else None


class ProfiledConnection:
    """A DuckDB connection that profiles every statement executed through it (one JSON profile each)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, folder: Path, step: str):
        self._conn, self._folder, self.step, self.statements = conn, folder, step, []

    def execute(self, sql: str, *args):
        out = self._folder / f"{self.step}-{len(self.statements)}.json"
        self._conn.execute("PRAGMA enable_profiling = 'json'")
        self._conn.execute(f"PRAGMA profiling_output = '{out}'")
        started = time.perf_counter()
        result = _Rows(self._conn.execute(sql, *args).fetchall())
        seconds = time.perf_counter() - started
        self._conn.execute("PRAGMA disable_profiling")
        first = next((line.strip() for line in sql.strip().splitlines() if line.strip() and not line.strip().startswith("--")), "")
        self.statements.append({"step": self.step, "sql": first[:90], "seconds": seconds, "profile": out})
        return result

    def __getattr__(self, name):  # register, unregister, fetch...: the real connection's
        return getattr(self._conn, name)


def operators(profile: Path) -> list[tuple[str, float, int]]:
    """(operator, seconds, rows out) of every operator in a JSON profile, costliest first."""
    if not profile.exists():
        return []
    found: list[tuple[str, float, int]] = []

    def walk(node: dict) -> None:
        name = node.get("name") or node.get("operator_name") or ""
        extra = node.get("extra_info") or {}
        detail = extra.get("Join Type") or extra.get("Function") or ""
        if name:
            found.append((f"{name.strip()} {detail}".strip()[:60], float(node.get("timing", node.get("operator_timing", 0))),
                          int(node.get("intermediate_rows", node.get("operator_cardinality", 0)))))
        for child in node.get("children", []):
            walk(child)

    tree = json.loads(profile.read_text())
    for root in tree.get("operator", [tree]):
        walk(root)
    return sorted(found, key=lambda x: -x[1])


def spilled_mb(profile: Path) -> float:
    """What the statement wrote to DuckDB's temp directory (spilling beyond memory_limit), MB."""
    if not profile.exists():
        return 0.0
    return json.loads(profile.read_text()).get("system", {}).get("total_bytes_spilled", 0) / 1e6


def profile(workdir: Path, memory_limit: str, top: int) -> str:
    from lmi_pipeline.database.sql import load_sql
    from lmi_pipeline.database.storage import CONNECTION_CONFIG, limit_memory
    from lmi_pipeline.defs.indicators import area_indicators as ai
    from lmi_pipeline.defs.indicators import ward_indicators as wi
    from lmi_pipeline.defs.warehouse.claimant_count import build_claimant_count
    from lmi_pipeline.geography.reference import reference

    from benchmarks.stage import _settings

    work = _settings(workdir).work_db
    if not work.exists():
        raise SystemExit(f"profile_transform: no working database under {work}; run the "
                         "benchmark (or one pipeline run of it) first")
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        db = Path(tmp) / "profiled.duckdb"
        shutil.copyfile(work, db)
        conn = duckdb.connect(str(db), config=dict(CONNECTION_CONFIG))
        limit_memory(conn, memory_limit)
        conn.execute("SET threads = 2")
        statements = []
        # The three assets of the claimant path, run as the assets run them.
        p = ProfiledConnection(conn, Path(tmp), "claimant_count")
        build_claimant_count(p)
        statements += p.statements
        figures = " UNION ALL BY NAME ".join(f"SELECT {', '.join(ai.FIGURE_COLUMNS)} FROM "
                                             f"({load_sql(ai.__file__, 'figures_' + s)})" for s in ai.FIGURE_SOURCES)
        conn.register("district_parents", ai.district_parents(reference()))
        p = ProfiledConnection(conn, Path(tmp), "area_indicators")
        p.execute(ai.AREA_INDICATORS_SQL.format(figures=figures), {"small_number_threshold": 20})
        statements += p.statements
        p = ProfiledConnection(conn, Path(tmp), "ward_indicators")
        wi.build_ward_indicators(p)
        statements += p.statements
        lines = ["| step | statement | seconds | spilled (MB) | costliest operators (seconds, rows out) |",
                 "|---|---|---|---|---|"]
        for s in statements:
            ops = "; ".join(f"{name} {sec:.2f} s ({rows:,})" for name, sec, rows in operators(s["profile"])[:top]
                            if sec >= 0.05)
            if s["seconds"] >= 0.01:
                lines.append(f"| {s['step']} | `{s['sql']}` | {s['seconds']:.2f} | {spilled_mb(s['profile']):,.0f} | {ops} |")
        totals = {}
        for s in statements:
            totals[s["step"]] = totals.get(s["step"], 0) + s["seconds"]
        lines.append("\n" + ", ".join(f"{k} {v:.1f} s" for k, v in totals.items()) + f"; total {sum(totals.values()):.1f} s")
        conn.close()
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--top", type=int, default=6)
    args = parser.parse_args()
    print(profile(args.workdir, args.memory_limit, args.top))


if __name__ == "__main__":
    main()
