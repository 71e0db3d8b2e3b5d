"""Streaming a Nomis query into DuckDB, page by page through Arrow, then into place in one transaction.

Pages go into a staging table, `<raw table>__incoming`, committed every few pages; the caller then
moves it into place in one short transaction (`move_into_place`, or `PeriodReplace.apply` for a monthly
table). Why not append every page inside that one transaction: DuckDB holds a transaction's appended rows
in memory outside its memory_limit, about 7 MB per 25,000-row page, so a national load peaked at 2.5 GB
(docs/performance.md); committed pages stay within the limit. Until the move, the raw table is exactly
as it was: a failed load drops its staging table, and the next run drops any a killed run left (run_start.py).
Nothing holds the whole result in pandas.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import duckdb

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource, check_geographies
from lmi_pipeline.clients.nomis_csv import REQUIRED_COLUMNS
from lmi_pipeline.clients.transport import Request
from lmi_pipeline.database.storage import STAGING_SUFFIX, quote_ident
from lmi_pipeline.sources.request_log import query_id
from lmi_pipeline.sources.revisions import add_new_columns

# Pages per commit into the staging table (~200,000 rows). Measured at national scale: a commit per page
# made the load 78 s instead of 18 s (each commit writes the WAL); 32 pages held more memory for no gain.
PAGES_PER_COMMIT = 8


@dataclass
class LoadedQuery:
    rows: int = 0
    pages: int = 0
    rows_per_page: dict[Request, int] = field(default_factory=dict)
    latest_period: str = ""
    release: str = ""
    query_id: str = ""
    staging: str = ""  # the table the pages went into
    fetch_parse_seconds: float = 0.0  # waiting for pages: HTTP and CSV parsing
    load_seconds: float = 0.0  # appending them to DuckDB


def raw_columns(select: tuple[str, ...]) -> list[str]:
    """The columns of a raw Nomis table: what the query selects, what every page carries, and query_id."""
    return [*dict.fromkeys([c.upper() for c in select] + list(REQUIRED_COLUMNS)), "query_id"]


def load_nomis_query(conn: duckdb.DuckDBPyConnection, table: str, nomis: NomisResource, query: NomisQuery,
                     log: logging.Logger, expected_ids: set[str], labels: dict[str, str]) -> LoadedQuery:
    """Load the query's rows (all text, plus `query_id`) into a new staging table for `table`, page by page.

    Call outside a transaction. Returns what arrived; `loaded.staging` names the table to move into place.
    """
    out = LoadedQuery(staging=table + STAGING_SUFFIX)
    name = quote_ident(out.staging)
    try:
        pages = nomis.iter_pages(query, labels)
        conn.execute("BEGIN")
        while True:
            t0 = time.perf_counter()
            try:
                page, resp = next(pages)
            except StopIteration:
                break
            t1 = time.perf_counter()
            out.fetch_parse_seconds += t1 - t0
            qid = query_id(resp.request)
            conn.register("nomis_page", page)
            if out.pages == 0:
                conn.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT *, ?::VARCHAR AS query_id FROM nomis_page "
                             "LIMIT 0", [qid])
                out.query_id = qid
            elif added := add_new_columns(conn, out.staging, page.column_names):  # a column new mid-download
                log.warning(f"{query.label}: page {out.pages + 1} has column(s) {added} the earlier pages lacked; "
                            "kept (NULL on the earlier pages' rows)")
            conn.execute(f"INSERT INTO {name} BY NAME SELECT *, ?::VARCHAR AS query_id FROM nomis_page", [qid])
            conn.unregister("nomis_page")
            out.pages += 1
            out.rows += page.num_rows
            out.rows_per_page[resp.request] = page.num_rows
            out.load_seconds += time.perf_counter() - t1
            log.info(f"{query.label}: page {out.pages}, {out.rows:,} rows so far")
            if out.pages % PAGES_PER_COMMIT == 0:
                conn.execute("COMMIT")
                conn.execute("BEGIN")
        conn.execute("COMMIT")
        # Both columns: GEOGRAPHY is the Nomis id in some datasets and the GSS code in others (the Census).
        got = set(conn.execute(f"SELECT DISTINCT GEOGRAPHY, GEOGRAPHY_CODE FROM {name}").fetchall())
        check_geographies(got, query, query.label, labels, expected_ids)
        if "DATE" in page.column_names:
            out.latest_period = conn.execute(f"SELECT max(DATE) FROM {name}").fetchall()[0][0]
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except duckdb.TransactionException:  # the failure came after the last commit
            pass
        conn.execute(f"DROP TABLE IF EXISTS {name}")
        raise
    return out


def move_into_place(conn: duckdb.DuckDBPyConnection, table: str, loaded: LoadedQuery) -> None:
    """Replace `table` with the staged rows (a rename: no copy). Call inside the caller's transaction."""
    conn.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
    conn.execute(f"ALTER TABLE {quote_ident(loaded.staging)} RENAME TO {quote_ident(table)}")

