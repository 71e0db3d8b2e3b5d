"""Revision detection: a content fingerprint per period, compared with the one from the previous load.

Nomis revises figures under the same URL without notice (the previous month at every claimant-count
release, and occasionally older history). Each load of a period records a fingerprint per area; a
changed fingerprint of an area loaded before is a revision, logged in `source_revisions` with how many
cells changed, and surfaced in provenance. An area loaded for the first time (a district added to
lmi.toml) has nothing to compare with, so it is never reported as revised. Loaded periods arrive in a staging table first, so the old rows can be compared with the
new ones before they are replaced.
"""

from __future__ import annotations

import re
from typing import Iterable

import duckdb

from lmi_pipeline.database.storage import quote_ident

# The fingerprint: for each period and area, the row count plus the sum of DuckDB's 64-bit row hashes,
# order-independent and one fast pass over the data. Kept per area so that only areas held before are
# compared: adding or dropping a district (a configuration change) is not a revision. DuckDB's hash may
# change between DuckDB versions, so the method is stored with it and a method change re-stamps the
# periods instead of reporting them revised.
HASH_METHOD = f"count+sum(hash) per area, duckdb {duckdb.__version__.split('.')[0]}"

CREATE_TABLES = """
DROP TABLE IF EXISTS source_period_hashes;  -- the per-period fingerprints of earlier versions
CREATE TABLE IF NOT EXISTS source_area_hashes (
    source_asset VARCHAR, period VARCHAR, area VARCHAR, content_hash VARCHAR, hash_method VARCHAR, rows BIGINT,
    release VARCHAR, query_id VARCHAR, loaded_at TIMESTAMPTZ, PRIMARY KEY (source_asset, period, area));
CREATE TABLE IF NOT EXISTS source_revisions (
    source_asset VARCHAR, period VARCHAR, detected_at TIMESTAMPTZ, release VARCHAR, areas_revised BIGINT,
    cells_changed BIGINT, cells_added BIGINT, cells_removed BIGINT, query_id VARCHAR);
"""


class PeriodReplace:
    """Replace some periods of `table` with rows loaded into a staging table, recording revisions.

    `area_keys` identify an area (e.g. GEOGRAPHY_CODE and GEOGRAPHY_TYPE: a ward in one boundary vintage);
    `keys` identify a cell within a period (the area keys and the dimensions); `values` are compared.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, table: str, period_col: str, keys: list[str],
                 values: list[str], area_keys: list[str]):
        self.conn, self.name = conn, table
        self.table, self.period = quote_ident(table), quote_ident(period_col)
        self.keys = [quote_ident(k) for k in keys]
        self.values = [quote_ident(v) for v in values]
        self.area = " || '|' || ".join(f"coalesce({quote_ident(k)}, '')" for k in area_keys)
        self.added_columns: list[str] = []  # columns the last apply() added to the table (new upstream)
        conn.execute(CREATE_TABLES)

    def apply(self, staging: str, periods: list[str], source_asset: str, release: str, query_id: str) -> list[str]:
        """Fingerprint the staged rows, log revisions of the areas held before, move the new rows in (dropping
        the staging table). Call inside a transaction. Returns the revised periods."""
        c, staged = self.conn, quote_ident(staging)
        cols = ", ".join(self.keys + self.values)
        c.execute(f"""CREATE OR REPLACE TEMP TABLE new_hashes AS
            SELECT {self.period} AS period, {self.area} AS area,
                   count(*) || ':' || sum(hash({cols})::HUGEINT) AS content_hash, count(*) AS rows
            FROM {staged} WHERE {self.period} IN (SELECT unnest($p)) GROUP BY ALL""", {"p": periods})
        revised: list[str] = []
        exists = c.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [self.name]).fetchall()[0][0]
        if not exists:  # the first load: a rename, no copy
            c.execute(f"ALTER TABLE {staged} RENAME TO {self.table}")
        else:
            c.execute("""CREATE OR REPLACE TEMP TABLE revised_areas AS
                SELECT h.period, h.area FROM new_hashes h
                JOIN source_area_hashes p ON p.source_asset = $asset AND p.period = h.period AND p.area = h.area
                WHERE p.hash_method = $method AND p.content_hash <> h.content_hash""",
                      {"asset": source_asset, "method": HASH_METHOD})
            join = " AND ".join(f"o.{k} = n.{k}" for k in self.keys) + f" AND o.{self.period} = n.{self.period}"
            changed = " OR ".join(f"o.{v} IS DISTINCT FROM n.{v}" for v in self.values)
            in_revised = "(SELECT area FROM revised_areas r WHERE r.period = {side}.{period})"
            revised = [row[0] for row in c.execute(f"""
                INSERT INTO source_revisions
                SELECT $asset, r.period, now(), $release, count(*),
                       (SELECT count(*) FROM {self.table} o JOIN {staged} n ON {join}
                         WHERE n.{self.period} = r.period AND {self._area_of('n')} IN {in_revised.format(side='n', period=self.period)}
                           AND ({changed})),
                       (SELECT count(*) FROM {staged} n WHERE n.{self.period} = r.period
                         AND {self._area_of('n')} IN {in_revised.format(side='n', period=self.period)}
                         AND NOT EXISTS (SELECT 1 FROM {self.table} o WHERE {join})),
                       (SELECT count(*) FROM {self.table} o WHERE o.{self.period} = r.period
                         AND {self._area_of('o')} IN {in_revised.format(side='o', period=self.period)}
                         AND NOT EXISTS (SELECT 1 FROM {staged} n WHERE {join})),
                       $query_id
                FROM revised_areas r GROUP BY r.period
                RETURNING period""", {"asset": source_asset, "release": release, "query_id": query_id}).fetchall()]
            c.execute(f"DELETE FROM {self.table} WHERE {self.period} IN (SELECT unnest($p))", {"p": periods})
            # A column upstream added since the last load: kept, NULL in the periods loaded before (else this
            # insert, and every later run's, would fail on it).
            self.added_columns = add_new_columns(c, self.name, columns_of(c, staging))
            c.execute(f"INSERT INTO {self.table} BY NAME SELECT * FROM {staged}")
            c.execute(f"DROP TABLE {staged}")
        c.execute("DELETE FROM source_area_hashes WHERE source_asset = $asset AND period IN (SELECT unnest($p))",
                  {"asset": source_asset, "p": periods})
        c.execute("""INSERT INTO source_area_hashes
            SELECT $asset, period, area, content_hash, $method, rows, $release, $query_id, now() FROM new_hashes""",
                  {"asset": source_asset, "release": release, "query_id": query_id, "method": HASH_METHOD})
        return sorted(revised)

    def _area_of(self, alias: str) -> str:
        """The area expression over a table alias."""
        out = self.area
        for k in re.findall(r'"[^"]+"', self.area):
            out = out.replace(k, f"{alias}.{k}")
        return out


def columns_of(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [d[0] for d in conn.execute(f"SELECT * FROM {quote_ident(table)} LIMIT 0").description]


def add_new_columns(conn: duckdb.DuckDBPyConnection, table: str, columns: Iterable[str]) -> list[str]:
    """Add to `table` (as text, NULL in the rows it holds) each of `columns` it lacks, so rows carrying a
    column upstream has added can be inserted BY NAME; returns the columns added. Raw tables keep what
    upstream serves; the warehouse selects the columns it uses by name, so an extra one changes no figure.
    Names compare as DuckDB compares them, case-insensitively."""
    have = {c.lower() for c in columns_of(conn, table)}
    added = []
    for column in columns:
        if column.lower() not in have:
            conn.execute(f"ALTER TABLE {quote_ident(table)} ADD COLUMN {quote_ident(column)} VARCHAR")
            have.add(column.lower())
            added.append(column)
    return added
