"""Streaming a Nomis query into a raw DuckDB table, page by page through Arrow.

Pages are appended inside one transaction: if any page fails its checks, the previous raw table
stays exactly as it was. Nothing holds the whole result in pandas.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import dagster as dg
import duckdb

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource, check_geographies
from lmi_pipeline.clients.transport import Request
from lmi_pipeline.defs.sources.request_log import log_requests, query_id
from lmi_pipeline.storage import quote_ident


@dataclass
class LoadedQuery:
    rows: int = 0
    pages: int = 0
    rows_per_page: dict[Request, int] = field(default_factory=dict)
    latest_period: str = ""
    release: str = ""
    query_id: str = ""
    fetch_parse_seconds: float = 0.0  # waiting for pages: HTTP and CSV parsing
    load_seconds: float = 0.0  # appending them to DuckDB


def load_nomis_query(conn: duckdb.DuckDBPyConnection, table: str, nomis: NomisResource, query: NomisQuery,
                     log: dg.DagsterLogManager, expected_ids: set[str], labels: dict[str, str],
                     on_first_page: Callable[[], None] | None = None) -> LoadedQuery:
    """Load the query's rows (all text, plus `query_id`) into `table`. Call inside a transaction.

    Without `on_first_page` the table is replaced. With it, the table is created if missing and then
    `on_first_page()` runs (e.g. to delete the periods being reloaded) before the first row goes in.
    """
    out = LoadedQuery()
    name = quote_ident(table)
    pages = nomis.iter_pages(query, labels)
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
            verb = "CREATE OR REPLACE TABLE" if on_first_page is None else "CREATE TABLE IF NOT EXISTS"
            conn.execute(f"{verb} {name} AS SELECT *, ?::VARCHAR AS query_id FROM nomis_page LIMIT 0", [qid])
            if on_first_page is not None:
                on_first_page()
            out.query_id = qid
        conn.execute(f"INSERT INTO {name} BY NAME SELECT *, ?::VARCHAR AS query_id FROM nomis_page", [qid])
        conn.unregister("nomis_page")
        out.pages += 1
        out.rows += page.num_rows
        out.rows_per_page[resp.request] = page.num_rows
        out.load_seconds += time.perf_counter() - t1
        log.info(f"{query.label}: page {out.pages}, {out.rows:,} rows so far")
    got = {r[0] for r in conn.execute(f"SELECT DISTINCT GEOGRAPHY FROM {name} WHERE query_id = ?",
                                      [out.query_id]).fetchall()}
    check_geographies(got, query, query.label, labels, expected_ids)
    if "DATE" in page.column_names:
        out.latest_period = conn.execute(f"SELECT max(DATE) FROM {name}").fetchone()[0]
    return out


def finish_source(conn: duckdb.DuckDBPyConnection, asset: str, nomis: NomisResource, mark: int,
                  dataset: str, loaded: LoadedQuery, keep_referenced_by: str | None = None) -> None:
    """Log every request the asset made (metadata and pages) for provenance.

    `keep_referenced_by`: a raw table loaded period by period; earlier requests whose rows it still
    holds keep their provenance, the rest is replaced.
    """
    log_requests(conn, asset, nomis.transport().fetched[mark:], datasets={f"dataset/{dataset}": dataset},
                 releases={f"dataset/{dataset}": loaded.release}, rows=loaded.rows_per_page,
                 keep_referenced_by=keep_referenced_by)
