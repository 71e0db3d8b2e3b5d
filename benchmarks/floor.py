"""An independent floor for the benchmark: the claimant-count ward indicators in plain DuckDB SQL.

    python -m benchmarks.floor <workdir> [--memory-limit 1GB] [--threads 2]

Prints one JSON line of measurements. Nothing here imports or reads the pipeline's code or SQL: it is
written from what `ward_indicators` is documented to hold (lmi_pipeline/metadata/indicators.toml), so the
benchmark can say how far the pipeline is from the simplest efficient way of computing the same rows.
It reads what the benchmark recorded under `<workdir>` (benchmarks/bench.py):

- the Nomis NM_162_1 claimant-count CSV pages (`pages.json`), straight into DuckDB with read_csv;
- the Nomis NM_2014_1 population pages of the same recording (the rates' denominators);
- the bundled ONS ward lookups (lmi_pipeline/geography/data: the geography the synthetic upstream
  serves), for each ward's district and the district's county, combined authority, region and country.

and computes, for every ward and month, the claimant count (all, 16-24, 18-24), the official claimant
rate (Nomis's own, measure 2), the youth claimant rates (count over the band's mid-year population, 1 dp),
the district / county / combined authority / region / country values, the change on a year earlier and
the rank among the district's wards. Stages are timed separately: read (claimant pages; population and
geography apart), transform, publish (a DuckDB 1.4-readable file: CHECKPOINT, a file copy, fsync and an
atomic os.replace).

`compare` checks a pipeline's ward_indicators against the floor's, set-wise in DuckDB (EXCEPT both ways).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
GEOGRAPHY = ROOT / "lmi_pipeline" / "geography" / "data"  # bundled data files (CSV), not code
STORAGE_VERSION = "v1.4.0"  # researchers on DuckDB 1.4 must be able to open the published file
INDICATORS = ("claimant_count", "claimant_count_16_24", "claimant_count_18_24", "claimant_rate",
              "claimant_rate_16_24", "claimant_rate_18_24")
# What the floor and the pipeline are compared on: the row's identity and every figure the floor computes.
KEY = ["ward_code", "ward_vintage", "lad_code", "indicator", "period"]
VALUES = ["value", "numerator", "denominator", "lad_value", "county_value", "combined_authority_value",
          "region_value", "country_value", "change_12m", "rank_in_lad", "n_wards_in_lad"]
COMPARED = KEY + VALUES


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _files(paths: list[str]) -> str:
    return "[" + ", ".join(_lit(p) for p in paths) + "]"


def recorded_pages(workdir: Path) -> tuple[list[str], list[str]]:
    """The claimant-count pages the benchmark recorded (pages.json) and the population pages beside them."""
    claimant = json.loads((workdir / "pages.json").read_text())
    folder = workdir / "snapshot" / "nomis" / "dataset_NM_2014_1.data.csv"
    population = sorted(str(p) for p in folder.glob("*.body"))
    if not claimant or not population:
        raise SystemExit(f"floor: no recorded pages under {workdir} (claimant {len(claimant)}, population "
                         f"{len(population)}); run the benchmark's recording first")
    return claimant, population


# -- read -------------------------------------------------------------------------------------------------
# Only the columns the indicators need, typed as they are read (an empty OBS_VALUE is NULL).
READ_CLAIMANT = """
CREATE TEMP TABLE cc_pages AS
SELECT DATE AS month, GEOGRAPHY_CODE AS area_code, GEOGRAPHY_TYPE AS area_type, AGE_NAME AS age,
       MEASURE AS measure, OBS_VALUE AS value
FROM read_csv({files}, header = true,
              types = {{'DATE': 'VARCHAR', 'GEOGRAPHY_CODE': 'VARCHAR', 'GEOGRAPHY_TYPE': 'VARCHAR',
                        'AGE_NAME': 'VARCHAR', 'MEASURE': 'INTEGER', 'OBS_VALUE': 'DOUBLE'}})
"""

READ_POPULATION = """
CREATE TEMP TABLE pop_pages AS
SELECT DATE AS year, GEOGRAPHY_CODE AS area_code, C_AGE_NAME AS age, OBS_VALUE AS value
FROM read_csv({files}, header = true,
              types = {{'DATE': 'INTEGER', 'GEOGRAPHY_CODE': 'VARCHAR', 'C_AGE_NAME': 'VARCHAR', 'OBS_VALUE': 'DOUBLE'}})
"""

# Ward -> district -> county / region / country, per boundary vintage, as ONS publishes the lookups.
READ_GEOGRAPHY = """
CREATE TEMP TABLE ward_geo AS
SELECT 2022 AS vintage, WD22CD AS ward_code, WD22NM AS ward_name, LAD22CD AS lad_code, LAD22NM AS lad_name,
       CTY22CD AS county_code, RGN22CD AS region_code, CTRY22CD AS country_code
FROM read_csv({wards_2022}, all_varchar = true)
UNION ALL
SELECT 2024, WD24CD, WD24NM, LAD24CD, LAD24NM, CTYUA24CD, RGN24CD, CTRY24CD
FROM read_csv({wards_2024}, all_varchar = true);
CREATE TEMP TABLE lad_ca AS
SELECT LAD24CD AS lad_code, CAUTH24CD AS ca_code FROM read_csv({cauth}, all_varchar = true);
"""

# -- transform --------------------------------------------------------------------------------------------
TRANSFORM = """
-- One row per area x ward vintage (0 for areas that are not wards) x month x age band x measure.
CREATE TEMP TABLE cc AS
SELECT DISTINCT
    area_code,
    CASE WHEN regexp_matches(area_code, '^[EW]05') THEN CAST(regexp_extract(area_type, '(\\d{{4}})', 1) AS INTEGER)
         ELSE 0 END AS vintage,
    CAST(month || '-01' AS DATE) AS period,
    -- 'All categories: Age 16+' | 'Aged 16-24' | 'Aged 18-24'
    CASE WHEN age LIKE '%16+%' THEN '16+' ELSE regexp_replace(regexp_extract(age, '\\d+\\s*-\\s*\\d+'), '\\s', '', 'g') END
        AS band,
    measure, value
FROM cc_pages;

-- Mid-year population by area, year and band ('Aged 16 - 64' -> '16-64').
CREATE TEMP TABLE pop AS
SELECT DISTINCT area_code, year, regexp_replace(regexp_extract(age, '\\d+\\s*-\\s*\\d+'), '\\s', '', 'g') AS band, value
FROM pop_pages
WHERE regexp_matches(age, '\\d+\\s*-\\s*\\d+');

-- Counts with their denominator: the band's population (16-64 for all claimants) in the month's year,
-- or in the latest year held for months after it.
CREATE TEMP TABLE counts AS
SELECT c.area_code, c.vintage, c.period, c.band, c.value AS n, p.value AS pop, p.year AS pop_year
FROM cc c
LEFT JOIN pop p
       ON p.area_code = c.area_code
      AND p.band = CASE c.band WHEN '16+' THEN '16-64' ELSE c.band END
      AND p.year = least(year(c.period), (SELECT max(year) FROM pop))
WHERE c.measure = 1;

-- Every figure for every area: counts; Nomis's rate (16+); youth rates derived from counts and population.
CREATE TEMP TABLE figures AS
SELECT area_code, vintage, period,
       CASE band WHEN '16+' THEN 'claimant_count' ELSE 'claimant_count_' || replace(band, '-', '_') END AS indicator,
       n AS value, n AS numerator, NULL::DOUBLE AS denominator
FROM counts
UNION ALL
SELECT r.area_code, r.vintage, r.period, 'claimant_rate', r.value, c.n, c.pop
FROM cc r
LEFT JOIN counts c ON c.area_code = r.area_code AND c.vintage = r.vintage AND c.period = r.period AND c.band = r.band
WHERE r.measure = 2 AND r.band = '16+'
UNION ALL
SELECT area_code, vintage, period, 'claimant_rate_' || replace(band, '-', '_'), round(100 * n / pop, 1), n, pop
FROM counts
WHERE band IN ('16-24', '18-24');

-- Each district's areas above it, from its newest lookup: county (shire districts only), combined
-- authority (metropolitan districts only), region (England), country.
CREATE TEMP TABLE district_parents AS
WITH newest AS (
    SELECT lad_code, arg_max(lad_name, vintage) AS lad_name, arg_max(county_code, vintage) AS county_code,
           arg_max(region_code, vintage) AS region_code, arg_max(country_code, vintage) AS country_code
    FROM ward_geo
    WHERE lad_code IN (SELECT w.lad_code FROM ward_geo w JOIN (SELECT DISTINCT area_code, vintage FROM figures) f
                                                   ON f.area_code = w.ward_code AND f.vintage = w.vintage)
    GROUP BY lad_code
)
SELECT n.lad_code, n.lad_name,
       CASE WHEN n.lad_code LIKE 'E07%' AND n.county_code LIKE 'E10%' THEN n.county_code END AS county_code,
       CASE WHEN n.lad_code LIKE 'E08%' THEN a.ca_code END AS ca_code,
       nullif(trim(n.region_code), '') AS region_code,
       n.country_code
FROM newest n
LEFT JOIN lad_ca a ON a.lad_code = n.lad_code;

CREATE TEMP TABLE area_figures AS SELECT area_code, period, indicator, value FROM figures WHERE vintage = 0;

-- Each ward figure with the change on the same ward (same boundaries) a year earlier.
CREATE TEMP TABLE ward_figures AS
SELECT f.*, f.value - prev.value AS change_12m
FROM figures f
LEFT JOIN figures prev ON prev.area_code = f.area_code AND prev.vintage = f.vintage AND prev.indicator = f.indicator
                      AND prev.period = f.period - INTERVAL 12 MONTH
WHERE f.vintage <> 0;

CREATE TABLE ward_indicators AS
SELECT w.ward_code, w.ward_name, f.vintage AS ward_vintage, w.lad_code, d.lad_name,
       f.indicator, f.period, f.value, f.numerator, f.denominator,
       lad.value AS lad_value, cty.value AS county_value, ca.value AS combined_authority_value,
       rgn.value AS region_value, ctry.value AS country_value,
       f.change_12m,
       CASE WHEN f.value IS NOT NULL THEN rank() OVER (PARTITION BY w.lad_code, f.vintage, f.indicator, f.period
                                                       ORDER BY f.value DESC) END AS rank_in_lad,
       count(f.value) OVER (PARTITION BY w.lad_code, f.vintage, f.indicator, f.period) AS n_wards_in_lad
FROM ward_figures f
JOIN ward_geo w ON w.ward_code = f.area_code AND w.vintage = f.vintage
JOIN district_parents d ON d.lad_code = w.lad_code
LEFT JOIN area_figures lad  ON lad.area_code  = d.lad_code     AND lad.indicator  = f.indicator AND lad.period  = f.period
LEFT JOIN area_figures cty  ON cty.area_code  = d.county_code  AND cty.indicator  = f.indicator AND cty.period  = f.period
LEFT JOIN area_figures ca   ON ca.area_code   = d.ca_code      AND ca.indicator   = f.indicator AND ca.period   = f.period
LEFT JOIN area_figures rgn  ON rgn.area_code  = d.region_code  AND rgn.indicator  = f.indicator AND rgn.period  = f.period
LEFT JOIN area_figures ctry ON ctry.area_code = d.country_code AND ctry.indicator = f.indicator AND ctry.period = f.period;
"""


def _peak_rss_mb() -> float:
    """This process's peak resident set so far (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run(workdir: Path, memory_limit: str = "1GB", threads: int = 2, out: Path | None = None) -> dict:
    """Read, transform and publish; returns the seconds of each stage, peak RSS and row counts."""
    workdir = Path(workdir)
    claimant, population = recorded_pages(workdir)
    build = workdir / "floor_build.duckdb"
    published = Path(out) if out else workdir / "floor_published.duckdb"
    for stale in (build, build.with_name(build.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(":memory:")
    con.execute(f"SET memory_limit = {_lit(memory_limit)}")
    con.execute(f"SET threads = {int(threads)}")
    con.execute(f"SET temp_directory = {_lit(str(workdir / 'floor.tmp'))}")
    # The database is created in DuckDB 1.4's storage format, so the published copy opens in 1.4.
    con.execute(f"ATTACH {_lit(str(build))} AS floor (STORAGE_VERSION {_lit(STORAGE_VERSION)})")
    con.execute("USE floor")
    out_ = {"memory_limit": memory_limit, "threads": threads, "pages": len(claimant),
            "population_pages": len(population)}

    t = time.perf_counter()
    con.execute(READ_CLAIMANT.format(files=_files(claimant)))
    out_["read"] = time.perf_counter() - t
    out_["rows"] = con.execute("SELECT count(*) FROM cc_pages").fetchone()[0]
    t = time.perf_counter()
    con.execute(READ_POPULATION.format(files=_files(population)))
    con.execute(READ_GEOGRAPHY.format(wards_2022=_lit(str(GEOGRAPHY / "wards_2022.csv.gz")),
                                      wards_2024=_lit(str(GEOGRAPHY / "wards_2024.csv.gz")),
                                      cauth=_lit(str(GEOGRAPHY / "combined_authorities_2024.csv"))))
    out_["read_reference"] = time.perf_counter() - t
    out_["read_peak_rss_mb"] = _peak_rss_mb()

    t = time.perf_counter()
    con.execute(TRANSFORM.format())
    out_["transform"] = time.perf_counter() - t
    out_["ward_rows"] = con.execute("SELECT count(*) FROM ward_indicators").fetchone()[0]
    out_["transform_peak_rss_mb"] = _peak_rss_mb()

    t = time.perf_counter()
    con.execute("CHECKPOINT floor")
    con.execute("USE memory")
    con.execute("DETACH floor")
    con.close()
    tmp = published.with_name(f".{published.name}.next")
    shutil.copyfile(build, tmp)
    _fsync(tmp)
    os.replace(tmp, published)
    _fsync(published.parent)
    out_["publish"] = time.perf_counter() - t
    out_["published_mb"] = published.stat().st_size / 1e6
    out_["peak_rss_mb"] = _peak_rss_mb()
    out_["published"] = str(published)
    build.unlink(missing_ok=True)
    shutil.rmtree(workdir / "floor.tmp", ignore_errors=True)
    return out_


def compare(pipeline_db: Path, floor_db: Path, pipeline_table: str = "ward_indicators",
            floor_table: str = "ward_indicators", sample: int = 5) -> dict:
    """Compare the pipeline's and the floor's ward_indicators on COMPARED, for the floor's indicators:
    row counts, indicators present, and the rows each side has that the other has not (EXCEPT, set-wise)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {_lit(str(pipeline_db))} AS p (READ_ONLY)")
        con.execute(f"ATTACH {_lit(str(floor_db))} AS f (READ_ONLY)")
        cols = ", ".join(COMPARED)
        wanted = ", ".join(_lit(i) for i in INDICATORS)
        con.execute(f"CREATE TEMP VIEW pv AS SELECT {cols} FROM p.{pipeline_table} WHERE indicator IN ({wanted})")
        con.execute(f"CREATE TEMP VIEW fv AS SELECT {cols} FROM f.{floor_table} WHERE indicator IN ({wanted})")
        result: dict = {}
        for side in ("pv", "fv"):
            n, indicators = con.execute(f"SELECT count(*), list(DISTINCT indicator ORDER BY indicator) FROM {side}").fetchone()
            result[f"{side[0]}_rows"], result[f"{side[0]}_indicators"] = n, indicators or []
            # How many of the compared figures are there at all (a column NULL on both sides compares trivially).
            counts = con.execute(f"SELECT {', '.join(f'count({c})' for c in VALUES)} FROM {side}").fetchone()
            result[f"{side[0]}_non_null"] = dict(zip(VALUES, counts))
        for name, a, b in (("only_in_pipeline", "pv", "fv"), ("only_in_floor", "fv", "pv")):
            diff = f"SELECT * FROM {a} EXCEPT SELECT * FROM {b}"
            result[name] = con.execute(f"SELECT count(*) FROM ({diff})").fetchone()[0]
            rows = con.execute(f"SELECT * FROM ({diff}) ORDER BY ALL LIMIT {int(sample)}").fetchall()
            result[name + "_sample"] = [dict(zip(COMPARED, map(str, r))) for r in rows]
        result["agree"] = (result["only_in_pipeline"] == 0 and result["only_in_floor"] == 0
                           and result["p_rows"] == result["f_rows"] and result["p_rows"] > 0
                           and result["p_indicators"] == sorted(INDICATORS))
        return result
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, help="the published file (default <workdir>/floor_published.duckdb)")
    parser.add_argument("--compare", type=Path, help="then compare with this pipeline database's ward_indicators")
    args = parser.parse_args()
    result = run(args.workdir, args.memory_limit, args.threads, args.out)
    if args.compare:
        result["comparison"] = compare(args.compare, Path(result["published"]))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    sys.exit(main())
