"""MHCLG English Indices of Deprivation 2025: File 7 (all ranks, scores, deciles and population denominators for
every 2021 LSOA in England), downloaded from GOV.UK in live runs, replayed from the snapshot in the demo (where
the synthetic upstream serves a made-up File 7 in the real file's format)."""

import dagster as dg

from lmi_pipeline.clients.mhclg import (FILE7_COLUMNS, FILE7_TITLE, PUBLICATION_URL, RELEASE, MhclgResource,
                                       file7_release)
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.sources.isolation import isolated_source
from lmi_pipeline.sources.request_log import log_requests, query_id

ASSET = "raw_iod"

UPSTREAM = "mhclg:IoD2025"  # source_status names it by its upstream (sources/upstream.py UPSTREAMS)


@dg.asset(group_name="sources", kinds={"duckdb"}, pool="duckdb_writer", deps=["mhclg_iod2025"])
@isolated_source([*FILE7_COLUMNS, "query_id"], upstream=UPSTREAM)
def raw_iod(context: dg.AssetExecutionContext, mhclg: MhclgResource,
            warehouse: WarehouseResource) -> dg.MaterializeResult:
    """MHCLG's English Indices of Deprivation 2025, File 7, for every 2021 LSOA in England: the overall IMD, Income
    and Employment domains' score, rank and decile, and the mid-2022 population denominators (every column text,
    named as in `lmi_pipeline/clients/mhclg.py` FILE7_COLUMNS), plus `query_id`. Downloaded from GOV.UK's asset
    host (live), replayed from the snapshot (demo: a synthetic File 7 in the real layout, for the demo areas'
    LSOAs). The body is validated first (headers by name, LSOA codes, 33,755 rows for the real file, ranks,
    deciles and rates in range); a body that fails, or a failed download, leaves the last good load untouched.
    """
    with mhclg.transport().collect() as fetched:
        table, resp = mhclg.file7()
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("file7", table)
        conn.execute(f"CREATE OR REPLACE TABLE {ASSET} AS SELECT *, ?::VARCHAR AS query_id FROM file7",
                     [query_id(resp.request)])
        conn.unregister("file7")
        log_requests(conn, ASSET, fetched, datasets={mhclg.file7_path: FILE7_TITLE},
                     releases={mhclg.file7_path: file7_release(mhclg.file7_path)}, rows={resp.request: table.num_rows})
        # What the bundled Employment-only file (before File 7 was downloaded) left in an older working database.
        conn.execute("DROP TABLE IF EXISTS iod_employment")
        conn.execute("DELETE FROM source_requests WHERE source_asset = 'iod_employment'")
        conn.execute("COMMIT")
    context.log.info(f"MHCLG IoD 2025 File 7: {table.num_rows:,} LSOAs ({resp.origin})")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": table.num_rows, "release": RELEASE, "route": "GOV.UK asset download",
        "geography_level": "lsoa", "latest_period": "IoD 2025", "publication": PUBLICATION_URL,
        "url": resp.request.url, "sha256": resp.sha256,
    })
