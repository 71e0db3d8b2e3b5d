"""Revision detection: a content hash per period, compared with the hash from the previous load.

Nomis revises figures under the same URL without notice (the previous month at every claimant-count
release, and occasionally older history). Each load of a period records its hash; a changed hash is a
revision, logged in `source_revisions` with how many cells changed, and surfaced in provenance.
"""

from __future__ import annotations

import duckdb

from lmi_pipeline.storage import quote_ident

CREATE_TABLES = """
CREATE TABLE IF NOT EXISTS source_period_hashes (
    source_asset VARCHAR, period VARCHAR, content_hash VARCHAR, rows BIGINT, release VARCHAR,
    query_id VARCHAR, loaded_at TIMESTAMPTZ, PRIMARY KEY (source_asset, period));
CREATE TABLE IF NOT EXISTS source_revisions (
    source_asset VARCHAR, period VARCHAR, detected_at TIMESTAMPTZ, release VARCHAR, previous_hash VARCHAR,
    new_hash VARCHAR, cells_changed BIGINT, cells_added BIGINT, cells_removed BIGINT, query_id VARCHAR);
"""


class PeriodDiff:
    """Keep the rows of the periods about to be replaced, then compare them with what replaced them."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, table: str, period_col: str, keys: list[str],
                 values: list[str]):
        self.conn, self.table, self.period = conn, quote_ident(table), quote_ident(period_col)
        self.keys = [quote_ident(k) for k in keys]
        self.values = [quote_ident(v) for v in values]

    def keep_old(self, periods: list[str]) -> None:
        self.conn.execute(CREATE_TABLES)
        self.conn.execute(f"CREATE OR REPLACE TEMP TABLE previous_rows AS SELECT * FROM {self.table} "
                          f"WHERE {self.period} IN (SELECT unnest($periods))", {"periods": periods})

    def _hash_sql(self, source: str) -> str:
        parts = ", ".join(f"coalesce({c}, '')" for c in self.keys + self.values)
        order = ", ".join(self.keys)
        return (f"SELECT {self.period} AS period, sha256(string_agg(concat_ws('|', {parts}), ';' ORDER BY {order})) "
                f"AS content_hash, count(*) AS rows FROM {source} WHERE {self.period} IN (SELECT unnest($periods)) "
                f"GROUP BY {self.period}")

    def record(self, source_asset: str, periods: list[str], release: str, query_id: str) -> list[str]:
        """Store the new hashes; log and return the periods whose content changed since the last load."""
        c = self.conn
        c.execute(f"CREATE OR REPLACE TEMP TABLE new_hashes AS {self._hash_sql(self.table)}", {"periods": periods})
        join = " AND ".join(f"o.{k} = n.{k}" for k in self.keys)
        changed = " OR ".join(f"o.{v} IS DISTINCT FROM n.{v}" for v in self.values)
        revised = c.execute(f"""
            INSERT INTO source_revisions
            SELECT $asset, h.period, now(), $release, p.content_hash, h.content_hash,
                   (SELECT count(*) FROM previous_rows o JOIN {self.table} n ON {join}
                     WHERE o.{self.period} = h.period AND ({changed})),
                   (SELECT count(*) FROM {self.table} n WHERE n.{self.period} = h.period
                     AND NOT EXISTS (SELECT 1 FROM previous_rows o WHERE {join})),
                   (SELECT count(*) FROM previous_rows o WHERE o.{self.period} = h.period
                     AND NOT EXISTS (SELECT 1 FROM {self.table} n WHERE {join})),
                   $query_id
            FROM new_hashes h
            JOIN source_period_hashes p ON p.source_asset = $asset AND p.period = h.period
            WHERE p.content_hash <> h.content_hash
            RETURNING period""", {"asset": source_asset, "release": release, "query_id": query_id}).fetchall()
        c.execute("""
            INSERT OR REPLACE INTO source_period_hashes
            SELECT $asset, period, content_hash, rows, $release, $query_id, now() FROM new_hashes""",
                  {"asset": source_asset, "release": release, "query_id": query_id})
        c.execute("DROP TABLE previous_rows")
        return sorted(r[0] for r in revised)
