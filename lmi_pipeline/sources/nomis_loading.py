"""Streaming a Nomis query into DuckDB, page by page through Arrow, then into place in one transaction.

Pages go into a staging table, `<raw table>__incoming`, a few at a time, each batch committed; the caller then
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
import pyarrow as pa

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource, check_geographies
from lmi_pipeline.clients.nomis_csv import REQUIRED_COLUMNS
from lmi_pipeline.clients.transport import Request
from lmi_pipeline.database.storage import STAGING_SUFFIX, quote_ident
from lmi_pipeline.sources.request_log import query_id
from lmi_pipeline.sources.revisions import add_new_columns

# Pages per insert into the staging table, one commit each (~400,000 rows). Measured at national scale: a
# commit per page made the load 78 s instead of 18 s (each commit writes the WAL); an insert of 16 pages
# concatenated is 20% faster to append than 16 inserts of a page (DuckDB writes whole row groups as it
# goes). The pages of a batch are held in memory meanwhile: about 90 MB of Arrow nationally.
PAGES_PER_COMMIT = 16


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
    batch: list[pa.Table] = []
    columns: list[str] = []  # every column a page has brought so far

    def append_batch() -> None:
        t0 = time.perf_counter()
        rows = pa.concat_tables(batch, promote_options="default")  # a column new mid-batch: NULL before it
        conn.register("nomis_page", rows)
        conn.execute("BEGIN")
        if out.pages == len(batch):
            conn.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT *, ?::VARCHAR AS query_id FROM nomis_page "
                         "LIMIT 0", [out.query_id])
        else:
            add_new_columns(conn, out.staging, rows.column_names)
        conn.execute(f"INSERT INTO {name} BY NAME SELECT *, ?::VARCHAR AS query_id FROM nomis_page", [out.query_id])
        conn.execute("COMMIT")
        conn.unregister("nomis_page")
        batch.clear()
        out.load_seconds += time.perf_counter() - t0
        log.info(f"{query.label}: page {out.pages}, {out.rows:,} rows so far")

    try:
        pages = nomis.iter_pages(query, labels)
        while True:
            t0 = time.perf_counter()
            try:
                page, resp = next(pages)
            except StopIteration:
                break
            out.fetch_parse_seconds += time.perf_counter() - t0
            if out.pages == 0:
                out.query_id = query_id(resp.request)
                columns = list(page.column_names)
            elif added := [c for c in page.column_names if c.lower() not in {x.lower() for x in columns}]:
                log.warning(f"{query.label}: page {out.pages + 1} has column(s) {added} the earlier pages lacked; "
                            "kept (NULL on the earlier pages' rows)")
                columns += added
            batch.append(page)
            out.pages += 1
            out.rows += page.num_rows
            out.rows_per_page[resp.request] = page.num_rows
            if len(batch) == PAGES_PER_COMMIT:
                append_batch()
        if batch:
            append_batch()
        # Both columns: GEOGRAPHY is the Nomis id in some datasets and the GSS code in others (the Census).
        got = set(conn.execute(f"SELECT DISTINCT GEOGRAPHY, GEOGRAPHY_CODE FROM {name}").fetchall())
        check_geographies(got, query, query.label, labels, expected_ids)
        if "DATE" in columns:
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

