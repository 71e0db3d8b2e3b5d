"""The Employment domain of the English Indices of Deprivation 2025, for every 2021 LSOA in England, from the
bundled file lmi_pipeline/geography/data/iod2025_employment_lsoa21.csv.gz (origin, licence and sha256 in the
README.md there; scripts/build_employment_deprivation_reference.py derives it).

Real published data in every source mode: the demo upstream never makes it up. Its provenance row says so
(`source_requests.origin` = 'bundled', data label "bundled copy of published statistics"); the ward,
district and England averages built from it (figures_deprivation.sql) are ours, status 'derived'.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.geography.reference import DATA
from lmi_pipeline.sources.request_log import CREATE_SOURCE_REQUESTS

IOD_FILE: Path = DATA / "iod2025_employment_lsoa21.csv.gz"
IOD_VINTAGE = "IoD 2025"
DATASET = "English Indices of Deprivation 2025, Employment domain (MHCLG), LSOA 2021"
RELEASE = "IoD 2025 (MHCLG, published 30 October 2025)"
# Where a person finds the publication; the file itself came through github.com/humaniverse/IMD (README.md).
PUBLICATION_URL = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2025"
PACKAGE_PATH = "lmi_pipeline/geography/data/" + IOD_FILE.name
# One logical "query": the bundled file. Stable across runs and machines, like a Nomis query id.
QUERY_ID = hashlib.sha256(json.dumps(["bundled", PACKAGE_PATH, []]).encode()).hexdigest()[:16]

# Set-wise, in DuckDB: the file as bundled, typed, with its vintage and the provenance query it came from.
LOAD_SQL = """
CREATE OR REPLACE TABLE iod_employment AS
SELECT lsoa_code,
       employment_score,   -- % of the working-age population involuntarily excluded from work (MHCLG score x 100)
       employment_rank,    -- 1 = most deprived of England's 33,755 LSOAs
       employment_decile,  -- 1 = most deprived 10%
       $vintage AS vintage,
       2021 AS lsoa_vintage,
       $query_id AS source_query_id
FROM read_csv($path, header = true, auto_detect = false, delim = ',', quote = '"',
              columns = {'lsoa_code': 'VARCHAR', 'employment_score': 'DOUBLE', 'employment_rank': 'INTEGER',
                         'employment_decile': 'INTEGER'})
ORDER BY lsoa_code
"""

# Anything here means the bundled file is not what its README describes: refuse it rather than publish it.
PROBLEMS_SQL = """
SELECT 'not an English 2021 LSOA code: ' || lsoa_code FROM iod_employment
WHERE lsoa_code IS NULL OR NOT regexp_matches(lsoa_code, '^E01[0-9]{6}$')
UNION ALL
SELECT 'score outside 0-100 %: ' || lsoa_code FROM iod_employment
WHERE employment_score IS NULL OR employment_score < 0 OR employment_score > 100
UNION ALL
SELECT 'rank or decile out of range: ' || lsoa_code FROM iod_employment
WHERE employment_rank NOT BETWEEN 1 AND (SELECT count(*) FROM iod_employment) OR employment_decile NOT BETWEEN 1 AND 10
   OR employment_rank IS NULL OR employment_decile IS NULL
UNION ALL
SELECT 'LSOA listed twice: ' || lsoa_code FROM iod_employment GROUP BY lsoa_code HAVING count(*) > 1
LIMIT 5
"""

REQUEST_SQL = """
INSERT INTO source_requests (query_id, source_asset, service, dataset, url, parameters, page_offset, retrieved_at,
                             origin, rows, sha256, release)
VALUES ($query_id, 'iod_employment', 'bundled', $dataset, $url, $parameters, 0, $retrieved_at, 'bundled', $rows,
        $sha256, $release)
"""


@dg.asset(group_name="geography", kinds={"duckdb"}, pool="duckdb_writer")
def iod_employment(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The Employment domain of the English Indices of Deprivation 2025 (MHCLG) for every 2021 LSOA in England:
    score (% of the working-age population involuntarily excluded from work, 2022 reference year), rank and
    decile (1 = most deprived), with `vintage` 'IoD 2025'. Loaded from the bundled copy of MHCLG's file
    (real published data in every source mode, demo included; Open Government Licence v3.0) and recorded in
    provenance as such. England only: Welsh LSOAs have no row. Wards, districts and England are averaged
    from it in area_indicators (`iod_employment_deprivation`, derived).
    """
    body = IOD_FILE.read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    parameters = json.dumps({"file": PACKAGE_PATH, "publication": PUBLICATION_URL,
                             "published_as": "File 7: all ranks, scores, deciles and population denominators",
                             "via": "github.com/humaniverse/IMD data/imd2025_england_lsoa21.rda @ a9cf28d4848c",
                             "columns": "Employment domain only; score x 100"})
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.execute(LOAD_SQL, {"path": str(IOD_FILE), "vintage": IOD_VINTAGE, "query_id": QUERY_ID})
        problems = [r[0] for r in conn.execute(PROBLEMS_SQL).fetchall()]
        if problems:
            conn.execute("ROLLBACK")
            raise RuntimeError(f"the bundled {IOD_FILE.name} is not as its README describes: "
                                      f"{'; '.join(problems)}. Rebuild it with "
                                      "scripts/build_employment_deprivation_reference.py.")
        n = conn.execute("SELECT count(*) FROM iod_employment").fetchone()[0]
        conn.execute(CREATE_SOURCE_REQUESTS)
        conn.execute("DELETE FROM source_requests WHERE source_asset = 'iod_employment'")
        conn.execute(REQUEST_SQL, {"query_id": QUERY_ID, "dataset": DATASET, "url": PACKAGE_PATH,
                                   "parameters": parameters, "retrieved_at": datetime.now(timezone.utc),
                                   "rows": n, "sha256": digest, "release": RELEASE})
        conn.execute("COMMIT")
        mean, deciles = conn.execute(
            "SELECT round(avg(employment_score), 2), count(DISTINCT employment_decile) FROM iod_employment").fetchone()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n, "vintage": IOD_VINTAGE, "sha256": digest, "release": RELEASE,
        "england_simple_mean_score_pct": mean, "deciles": deciles,
        "data_label": "bundled copy of published statistics",
    })
