"""What `lmi run` / `lmi refresh` tell a person and a scheduler at the end: each source, its outcome, the
release published, and an exit code.

Exit codes (docs/operations.md):
    0  published, every source fresh (or unchanged upstream since its last load)
    1  nothing published: the run failed (a blocking check, a bug, an unreadable database); the last
       publication is exactly as it was
    2  refused before running: a bad lmi.toml or .env, a refresh already running, upstream unreachable while
       planning with nothing held to fall back on
    3  published, but with stale or unavailable sources (each kept its last good data, or has none); the
       summary says which and why
  130  interrupted (Ctrl-C, SIGINT): the run stopped, the run lock is released, and the last publication is
       unchanged (or, if the run was stopped after committing its publication, that publication is complete)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

EXIT_FRESH, EXIT_FAILED, EXIT_REFUSED, EXIT_STALE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C

STATUS_SQL = """
SELECT source_asset, upstream, outcome, reason, release, latest_period, route, geography_level, run_id
FROM source_status ORDER BY source_asset
"""


@dataclass(frozen=True)
class SourceOutcome:
    source_asset: str
    upstream: str
    outcome: str  # fresh | stale | unavailable | unchanged (not fetched: nothing new upstream)
    reason: str | None
    release: str | None
    latest_period: str | None
    route: str | None
    geography_level: str | None

    def line(self) -> str:
        head = f"  {self.source_asset:<30} {self.upstream:<16} {self.outcome:<12}"
        bits = [f"release {self.release}" if self.release else "no release held"]
        if self.latest_period:
            bits.append(f"latest {self.latest_period}")
        if self.geography_level and self.geography_level != "ward":
            bits.append(f"smallest areas: {self.geography_level}")
        if self.route:
            bits.append(f"via {self.route}")
        out = head + ", ".join(bits)
        if self.reason and self.outcome in ("stale", "unavailable"):
            out += f"\n      why: {self.reason}"
        return out


def read_outcomes(work_db: Path, run_id: str) -> list[SourceOutcome]:
    """Every source's row in the working database's source_status; a source this run did not fetch is
    `unchanged` (its release was the same upstream as the one held)."""
    if not Path(work_db).exists():
        return []
    with duckdb.connect(str(work_db), read_only=True) as conn:
        if not conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'source_status'").fetchone()[0]:
            return []
        rows = conn.execute(STATUS_SQL).fetchall()
    out = []
    for asset, upstream, outcome, reason, release, latest, route, level, status_run in rows:
        if status_run != run_id and outcome == "fresh":
            outcome = "unchanged"
        out.append(SourceOutcome(asset, upstream or "", outcome, reason, release, latest, route, level))
    return out


def exit_code(outcomes: list[SourceOutcome]) -> int:
    return EXIT_STALE if any(o.outcome in ("stale", "unavailable") for o in outcomes) else EXIT_FRESH


def summary(outcomes: list[SourceOutcome]) -> str:
    if not outcomes:
        return "sources: none recorded"
    stale = sum(o.outcome in ("stale", "unavailable") for o in outcomes)
    head = (f"sources ({len(outcomes)}; {stale} not fresh: published with their last good data or without them)"
            if stale else f"sources ({len(outcomes)}, all fresh or unchanged upstream)")
    return "\n".join([head, *(o.line() for o in outcomes)])
