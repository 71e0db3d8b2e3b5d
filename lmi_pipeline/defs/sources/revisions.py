"""Revision detection: a content fingerprint per period, compared with the one from the previous load.

Nomis revises figures under the same URL without notice (the previous month at every claimant-count
release, and occasionally older history). Each load of a period records its fingerprint; a changed
fingerprint is a revision, logged in `source_revisions` with how many cells changed, and surfaced in
provenance. Loaded periods arrive in a staging table first, so the old rows can be compared with the
new ones before they are replaced.
"""

from __future__ import annotations

import duckdb

from lmi_pipeline.storage import quote_ident

# The fingerprint: row count plus the sum of DuckDB's 64-bit row hashes, order-independent and one fast pass
# over the data. DuckDB's hash may change between DuckDB versions, so the method is stored with it and a
# method change re-stamps the periods instead of reporting them revised.
HASH_METHOD = f"count+sum(hash) duckdb {duckdb.__version__.split('.')[0]}"

CREATE_TABLES = """
CREATE TABLE IF NOT EXISTS source_period_hashes (
    source_asset VARCHAR, period VARCHAR, content_hash VARCHAR, hash_method VARCHAR, rows BIGINT, release VARCHAR,
    query_id VARCHAR, loaded_at TIMESTAMPTZ, PRIMARY KEY (source_asset, period));
CREATE TABLE IF NOT EXISTS source_revisions (
    source_asset VARCHAR, period VARCHAR, detected_at TIMESTAMPTZ, release VARCHAR, previous_hash VARCHAR,
    new_hash VARCHAR, cells_changed BIGINT, cells_added BIGINT, cells_removed BIGINT, query_id VARCHAR);
"""


class PeriodReplace:
    """Replace some periods of `table` with rows loaded into a staging table, recording revisions."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, table: str, period_col: str, keys: list[str],
                 values: list[str]):
        self.conn, self.name = conn, table
        self.table, self.period = quote_ident(table), quote_ident(period_col)
        self.keys = [quote_ident(k) for k in keys]
        self.values = [quote_ident(v) for v in values]
        conn.execute(CREATE_TABLES)

    def apply(self, staging: str, periods: list[str], source_asset: str, release: str, query_id: str) -> list[str]:
        """Fingerprint the staged rows, log revisions against the old ones, move the new rows in (dropping
        the staging table). Call inside a transaction. Returns the revised periods."""
        c, staged = self.conn, quote_ident(staging)
        cols = ", ".join(self.keys + self.values)
        c.execute(f"""CREATE OR REPLACE TEMP TABLE new_hashes AS
            SELECT {self.period} AS period, count(*) || ':' || sum(hash({cols})::HUGEINT) AS content_hash,
                   count(*) AS rows
            FROM {staged} WHERE {self.period} IN (SELECT unnest($p)) GROUP BY ALL""", {"p": periods})
        revised: list[str] = []
        exists = c.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [self.name]).fetchall()[0][0]
        if not exists:  # the first load: a rename, no copy
            c.execute(f"ALTER TABLE {staged} RENAME TO {self.table}")
        else:
            join = " AND ".join(f"o.{k} = n.{k}" for k in self.keys)
            changed = " OR ".join(f"o.{v} IS DISTINCT FROM n.{v}" for v in self.values)
            revised = [r[0] for r in c.execute(f"""
                INSERT INTO source_revisions
                SELECT $asset, h.period, now(), $release, p.content_hash, h.content_hash,
                       (SELECT count(*) FROM {self.table} o JOIN {staged} n ON {join} AND o.{self.period} = n.{self.period}
                         WHERE n.{self.period} = h.period AND ({changed})),
                       (SELECT count(*) FROM {staged} n WHERE n.{self.period} = h.period AND NOT EXISTS
                         (SELECT 1 FROM {self.table} o WHERE {join} AND o.{self.period} = n.{self.period})),
                       (SELECT count(*) FROM {self.table} o WHERE o.{self.period} = h.period AND NOT EXISTS
                         (SELECT 1 FROM {staged} n WHERE {join} AND o.{self.period} = n.{self.period})),
                       $query_id
                FROM new_hashes h
                JOIN source_period_hashes p ON p.source_asset = $asset AND p.period = h.period
                WHERE p.hash_method = $method AND p.content_hash <> h.content_hash
                RETURNING period""", {"asset": source_asset, "release": release, "query_id": query_id,
                                      "method": HASH_METHOD}).fetchall()]
            c.execute(f"DELETE FROM {self.table} WHERE {self.period} IN (SELECT unnest($p))", {"p": periods})
            c.execute(f"INSERT INTO {self.table} BY NAME SELECT * FROM {staged}")
            c.execute(f"DROP TABLE {staged}")
        c.execute("""INSERT OR REPLACE INTO source_period_hashes
            SELECT $asset, period, content_hash, $method, rows, $release, $query_id, now() FROM new_hashes""",
                  {"asset": source_asset, "release": release, "query_id": query_id, "method": HASH_METHOD})
        return sorted(revised)
