"""Every upstream response is logged in `source_requests`: the raw material of `provenance`."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pyarrow as pa

from lmi_pipeline.clients.transport import Fetched, Request
from lmi_pipeline.database.storage import quote_ident

PAGING_PARAMS = {"RecordOffset", "resultOffset"}

CREATE_SOURCE_REQUESTS = """
CREATE TABLE IF NOT EXISTS source_requests (
    query_id      VARCHAR,     -- one logical query; its pages share it
    source_asset  VARCHAR,
    service       VARCHAR,     -- nomis | ons_geo | dfe
    dataset       VARCHAR,
    url           VARCHAR,     -- without any key
    parameters    VARCHAR,     -- JSON, without any key or paging offset
    page_offset   BIGINT,
    retrieved_at  TIMESTAMPTZ,
    origin        VARCHAR,     -- live | recorded | synthetic
    rows          BIGINT,
    sha256        VARCHAR,
    release       VARCHAR      -- the dataset's release stamp upstream (e.g. Nomis LastUpdated)
)"""


def query_id(request: Request) -> str:
    """Identity of a logical query: the request without its paging offset."""
    params = sorted((k, v) for k, v in request.params if k not in PAGING_PARAMS)
    ident = [request.service, request.path, params]
    if request.json_body:  # a POST (Stat-Xplore) says what it asks in its body
        ident.append(hashlib.sha256(request.json_body.encode()).hexdigest())
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:16]


def log_requests(conn: duckdb.DuckDBPyConnection, asset: str, fetched: list[Fetched],
                 datasets: dict[str, str] | None = None, releases: dict[str, str] | None = None,
                 rows: dict[Request, int] | None = None, keep_referenced_by: str | None = None) -> None:
    """Replace this asset's rows in source_requests with what it fetched.

    `datasets` / `releases` map a request path prefix (e.g. "dataset/NM_162_1") to the dataset id and
    its upstream release stamp; `rows` gives the data rows each page held. Earlier rows of the asset are
    dropped, except queries whose rows `keep_referenced_by` (a raw table) still holds.
    """
    conn.execute(CREATE_SOURCE_REQUESTS)
    fresh = sorted({query_id(f.request) for f in fetched})
    keep = (f" AND (query_id NOT IN (SELECT DISTINCT query_id FROM {quote_ident(keep_referenced_by)})"
            " OR query_id IN (SELECT unnest($fresh)))" if keep_referenced_by else "")
    conn.execute(f"DELETE FROM source_requests WHERE source_asset = $asset{keep}",
                 {"asset": asset, **({"fresh": fresh} if keep_referenced_by else {})})
    if not fetched:
        return
    datasets, releases, rows = datasets or {}, releases or {}, rows or {}
    records = []
    for f in fetched:
        req = f.request
        params = {k: v for k, v in req.params if k not in PAGING_PARAMS}
        prefix = next((p for p in datasets if req.path.startswith(p)), None)
        records.append({
            "query_id": query_id(req), "source_asset": asset, "service": req.service,
            "dataset": datasets.get(prefix, req.path) if prefix else req.path, "url": req.url,
            "parameters": json.dumps(params),
            "page_offset": next((int(v) for k, v in req.params if k in PAGING_PARAMS), 0),
            "retrieved_at": f.retrieved_at, "origin": f.origin, "rows": rows.get(req), "sha256": f.sha256,
            "release": releases.get(prefix, "") if prefix else "",
        })
    table = pa.Table.from_pylist(records)
    conn.register("new_requests", table)
    conn.execute("INSERT INTO source_requests BY NAME SELECT * FROM new_requests")
    conn.unregister("new_requests")
