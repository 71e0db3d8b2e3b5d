"""What each part of the claimant-count ingest costs, measured one part at a time on the recorded pages.

    python -m benchmarks.ingest_costs <workdir> [--memory-limit 1GB]

The ingest step (raw_claimant_count) does, per page: an HTTP GET (the project's transport, from the replay
server on 127.0.0.1), a SHA-256 of the body (provenance: `source_requests.sha256`), an all-text Arrow parse,
the page checks (blank GSS codes, non-numeric values, unknown statuses, empty values with a status that does
not say missing, RECORD_OFFSET / RECORD_COUNT), and an append to a DuckDB staging table (a few pages an
insert, each committed); then, once, the revision fingerprints (a row count and hash sum per month and area)
and the request log. Each is timed here on its own, in this one process, single-threaded where the pipeline
is, beside DuckDB's own read_csv of the same files (all text, as the raw table is kept; and typed, only the
columns the indicators need, as the independent floor reads them). Prints a Markdown table and a JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa


def _timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def measure(workdir: Path, memory_limit: str = "1GB") -> dict:
    from benchmarks.bench import replay
    from benchmarks.floor import READ_CLAIMANT, _files
    from lmi_pipeline.clients.nomis_csv import _check_values, parse_page
    from lmi_pipeline.clients.transport import Request, Response
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.defs.sources.claimant_count import CLAIMANT_COUNT
    from lmi_pipeline.sources.nomis_loading import PAGES_PER_COMMIT, raw_columns
    from lmi_pipeline.sources.revisions import PeriodReplace
    from benchmarks.stage import _settings

    pages = [Path(p) for p in json.loads((workdir / "pages.json").read_text())]
    out: dict = {"pages": len(pages), "csv_mb": sum(p.stat().st_size for p in pages) / 1e6}
    expected = [c.upper() for c in raw_columns(CLAIMANT_COUNT.select) if c != "query_id"]

    out["read_files"], bodies = _timed(lambda: [p.read_bytes() for p in pages])
    out["sha256"], _ = _timed(lambda: [hashlib.sha256(b).hexdigest() for b in bodies])

    # HTTP: every page through the project's transport from the replay server, as the ingest fetches them.
    metas = [json.loads(p.with_suffix(".json").read_text()) for p in pages]
    with replay(workdir):
        nomis = build_resources(_settings(workdir))["nomis"]
        transport = nomis.transport()
        requests = [Request("nomis", nomis.base_url, m["path"], tuple(tuple(x) for x in m["params"])) for m in metas]
        out["http"], responses = _timed(lambda: [transport.get(r) for r in requests])
    out["http_mb"] = sum(len(r.body) for r in responses) / 1e6

    def parse_all():
        return [parse_page(r, expected, "bench") for r in responses]

    out["parse_and_check"], tables = _timed(parse_all)
    out["checks"], _ = _timed(lambda: [_check_values(t, "bench") for t in tables])
    out["parse"] = out["parse_and_check"] - out["checks"]
    out["rows"] = sum(t.num_rows for t in tables)

    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        con = duckdb.connect(str(Path(tmp) / "costs.duckdb"))
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET threads = 2")

        def load():  # as load_nomis_query: PAGES_PER_COMMIT pages concatenated per insert, a commit each
            for i in range(0, len(tables), PAGES_PER_COMMIT):
                con.register("nomis_page", pa.concat_tables(tables[i:i + PAGES_PER_COMMIT]))
                con.execute("BEGIN")
                if i == 0:
                    con.execute("CREATE TABLE staged AS SELECT *, 'q'::VARCHAR AS query_id FROM nomis_page LIMIT 0")
                con.execute("INSERT INTO staged BY NAME SELECT *, 'q'::VARCHAR AS query_id FROM nomis_page")
                con.execute("COMMIT")
                con.unregister("nomis_page")

        out["duckdb_append"], _ = _timed(load)
        monthly = CLAIMANT_COUNT.monthly
        months = [r[0] for r in con.execute("SELECT DISTINCT DATE FROM staged ORDER BY 1").fetchall()]

        def fingerprints():
            con.execute("BEGIN")
            PeriodReplace(con, "raw_claimant_count", monthly.period, list(monthly.row_key), list(monthly.row_values),
                          list(monthly.area_key)).apply("staged", months, "raw_claimant_count", "r", "q")
            con.execute("COMMIT")

        out["fingerprints_and_move"], _ = _timed(fingerprints)
        files = _files([str(p) for p in pages])
        out["read_csv_all_text"], _ = _timed(lambda: con.execute(
            f"CREATE TABLE all_text AS SELECT * FROM read_csv({files}, all_varchar = true, header = true)"))
        out["read_csv_typed"], _ = _timed(lambda: con.execute(READ_CLAIMANT.format(files=files)))
        con.close()
    return out


ROWS = [
    ("read_files", "read the page files from disk (no parsing; what `cat` costs)"),
    ("http", "HTTP: every page through the project's transport from the local replay server"),
    ("sha256", "SHA-256 of every body (provenance, source_requests.sha256)"),
    ("parse", "Arrow CSV parse, every column text (one thread per page, as in the pipeline)"),
    ("checks", "page checks (blank codes, non-numeric values, statuses, empty values, offsets)"),
    ("duckdb_append", "append the Arrow pages to a DuckDB staging table, 16 pages an insert and a commit"),
    ("fingerprints_and_move", "revision fingerprints per month and area, then the rename into place"),
    ("read_csv_all_text", "for comparison: DuckDB read_csv of the same files, every column text"),
    ("read_csv_typed", "for comparison: DuckDB read_csv, 6 columns typed as read (the independent floor's read)"),
]


def report(out: dict) -> str:
    lines = [f"{out['pages']} pages, {out['rows']:,} rows, {out['csv_mb']:,.0f} MB of CSV.\n",
             "| part of the ingest | seconds |", "|---|---|"]
    lines += [f"| {label} | {out[key]:.2f} |" for key, label in ROWS]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args()
    out = measure(args.workdir, args.memory_limit)
    print(report(out))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
