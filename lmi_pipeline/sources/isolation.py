"""Source isolation: an upstream that fails costs its own figures, never the rest of the run.

A source asset wrapped in `isolated_source` that raises `UpstreamError` (an upstream down after its
retries, a data set or geography type not offered, a body the client refuses) does not fail the run:

- its raw table is left exactly as the last good load made it (the load only replaces it on success), so
  its figures keep the release and retrieval time provenance already gives them; the source is `stale`;
- where there is no last good load, an empty raw table of the right columns is created, so the warehouse
  builds empty tables and the indicators are absent; the source is `unavailable`;
- `source_status` says so, with the reason, and the non-blocking check `source_is_current` fails on it.

Anything else (a bug, a bad lmi.toml, wrong data that a blocking check finds) still fails as before: a
missing source is not wrong data, and wrong data is never published.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import dagster as dg
import duckdb

from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.database.storage import WarehouseResource, quote_ident
from lmi_pipeline.sources.upstream import upstream_of

CREATE_SOURCE_STATUS = """
CREATE TABLE IF NOT EXISTS source_status (
    source_asset     VARCHAR PRIMARY KEY,  -- the raw table
    upstream         VARCHAR,      -- nomis:NM_162_1 | dfe:neet-16-17 ...
    outcome          VARCHAR,      -- fresh | stale (last good data kept) | unavailable (no data at all) | needs_key
    reason           VARCHAR,      -- why it is not fresh; NULL when fresh
    release          VARCHAR,      -- the upstream release the table holds (the last good one when stale)
    latest_period    VARCHAR,      -- the newest period the table holds
    route            VARCHAR,      -- how it was fetched (e.g. DfE public API or data catalogue)
    geography_level  VARCHAR,      -- the smallest areas it was fetched for (ward | lsoa | lad), where it matters
    last_success_at  TIMESTAMPTZ,  -- when it was last loaded fresh
    checked_at       TIMESTAMPTZ,  -- this run
    run_id           VARCHAR
)"""

# needs_key: an optional source behind a free key (Stat-Xplore) that is not configured: nothing was asked.
OUTCOMES = ("fresh", "stale", "unavailable", "needs_key")

HELD_RELEASE_SQL = "SELECT max(release) FROM source_requests WHERE source_asset = ? AND release <> ''"


def isolated_source(empty_columns: Sequence[str] | Callable[[], Sequence[str]], upstream: str = ""):
    """Wrap a source asset's function so an `UpstreamError` degrades the source instead of failing the run.

    `empty_columns`: the raw table's columns (all text), for the empty table created when there is no
    last good load to keep. The asset's MaterializeResult metadata may carry `release`, `latest_period`,
    `route` and `geography_level`; they are recorded in `source_status`. `upstream`: how source_status names
    the upstream of a source outside UPSTREAMS (which has no release observation), e.g. statxplore:UC_Monthly.
    """
    default_upstream = upstream

    def wrap(fn):
        @functools.wraps(fn)  # Dagster reads the wrapped signature (context, resources) through __wrapped__
        def asset_fn(context: dg.AssetExecutionContext, *args, **kwargs):
            warehouse: WarehouseResource = kwargs["warehouse"]
            asset = context.asset_key.to_user_string()
            found = upstream_of(asset)
            upstream = found.ref if found else default_upstream
            try:
                result = fn(context, *args, **kwargs)
            except UpstreamError as exc:
                columns = empty_columns() if callable(empty_columns) else empty_columns
                return degrade(context, warehouse, asset, upstream, str(exc), columns)
            meta = {k: _text(v) for k, v in (result.metadata or {}).items()}
            with warehouse.get_connection() as conn:
                record(conn, asset, upstream, "fresh", None, context.run.run_id, release=meta.get("release"),
                       latest_period=meta.get("latest_period"), route=meta.get("route"),
                       geography_level=meta.get("geography_level"))
            return result

        return asset_fn

    return wrap


def degrade(context: dg.AssetExecutionContext, warehouse: WarehouseResource, asset: str, upstream: str,
            reason: str, columns: Sequence[str]) -> dg.MaterializeResult:
    """Keep the last good table (or create an empty one) and record why the source is not fresh."""
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        rows = _rows(conn, asset)
        if rows is None:
            conn.execute(f"CREATE TABLE {quote_ident(asset)} ("
                         + ", ".join(f"{quote_ident(c)} VARCHAR" for c in columns) + ")")
        outcome = "stale" if rows else "unavailable"
        release = _held_release(conn, asset) if rows else None
        record(conn, asset, upstream, outcome, reason, context.run.run_id, release=release, keep_previous=True)
        conn.execute("COMMIT")
    kept = (f"its last good load is kept ({rows:,} rows, release {release or 'unknown'})" if rows
            else "there is no earlier load, so its indicators are absent from this publication")
    context.log.warning(f"{asset} ({upstream}) is {outcome}: {reason} -- {kept}. Every other source goes on.")
    return dg.MaterializeResult(metadata={"outcome": outcome, "reason": reason, "kept": kept,
                                          "release": release or "", "dagster/row_count": rows or 0})


def record(conn: duckdb.DuckDBPyConnection, asset: str, upstream: str, outcome: str, reason: str | None,
           run_id: str, release: str | None = None, latest_period: str | None = None, route: str | None = None,
           geography_level: str | None = None, keep_previous: bool = False) -> None:
    """Upsert the asset's row. `keep_previous`: a degraded source keeps what its last good load recorded
    (latest period, route, level, last success) and says only what changed."""
    if outcome not in OUTCOMES:
        raise ValueError(f"source_status outcome {outcome!r} is not one of {OUTCOMES}")
    conn.execute(CREATE_SOURCE_STATUS)
    if keep_previous:
        conn.execute("""
            INSERT INTO source_status (source_asset, upstream, outcome, reason, release, checked_at, run_id)
            VALUES (?, ?, ?, ?, ?, now(), ?)
            ON CONFLICT (source_asset) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason,
                release = coalesce(excluded.release, source_status.release), checked_at = now(),
                run_id = excluded.run_id""", [asset, upstream, outcome, reason, release, run_id])
        if outcome == "unavailable":  # nothing is held: no period, route or level to speak of
            conn.execute("UPDATE source_status SET latest_period = NULL, route = NULL, geography_level = NULL, "
                         "release = NULL WHERE source_asset = ?", [asset])
        return
    conn.execute("""
        INSERT OR REPLACE INTO source_status VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), now(), ?)""",
                 [asset, upstream, outcome, reason, release or None, latest_period or None, route or None,
                  geography_level or None, run_id])


def _rows(conn: duckdb.DuckDBPyConnection, table: str) -> int | None:
    exists = conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
                          [table]).fetchone()[0]
    return conn.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()[0] if exists else None


def _held_release(conn: duckdb.DuckDBPyConnection, asset: str) -> str | None:
    exists = conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'source_requests'").fetchone()[0]
    return conn.execute(HELD_RELEASE_SQL, [asset]).fetchone()[0] if exists else None


def _text(value) -> str:
    return str(getattr(value, "value", value))
