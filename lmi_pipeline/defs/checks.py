"""Quality checks. A blocking check's failure stops the run before `published_database`, so bad data never
reaches data/lmi.duckdb or assets/; the previous publication stays as it was.

Each check is one SQL query returning the offending rows (empty = pass), kept as a named constant. The one
non-blocking check, `source_is_current` on every source, warns when a source kept stale data or has none.
"""

from pathlib import Path

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.publish.publication_history import history_message, history_problems
from lmi_pipeline.sources.isolation import CREATE_SOURCE_STATUS

SAMPLE = 10

MISSING_WARDS_SQL = """
-- Every ward of the configured districts, in the vintage a month was published on, for every month.
WITH months AS (SELECT DISTINCT period, ward_vintage FROM claimant_count WHERE area_level = 'ward'),
expected AS (
    SELECT m.period, w.ward_code, w.ward_name, w.ward_vintage
    FROM months m JOIN ward_lookup w ON w.ward_vintage = m.ward_vintage
)
SELECT e.ward_code, e.ward_name, e.ward_vintage, strftime(min(e.period), '%Y-%m') AS first_missing, count(*) AS months
FROM expected e
WHERE NOT EXISTS (SELECT 1 FROM claimant_count c WHERE c.area_code = e.ward_code AND c.period = e.period
                  AND c.measure = 'count' AND c.age_band = '16+')
GROUP BY ALL ORDER BY months DESC
"""

UNROUNDED_COUNTS_SQL = """
SELECT area_code, strftime(period, '%Y-%m') AS period, age_band, value
FROM claimant_count
WHERE measure = 'count' AND value IS NOT NULL AND (value < 0 OR value % 5 <> 0)
"""

BAD_RATES_SQL = """
-- Rates must lie in 0..100 and agree with numerator / denominator: exactly (to 1 dp) when derived here,
-- within the publisher's 1 dp rounding when official.
SELECT area_code, indicator, strftime(period, '%Y-%m') AS period, value, numerator, denominator,
       round(100 * numerator / denominator, 2) AS recomputed
FROM area_indicators
WHERE unit = '%' AND value IS NOT NULL AND (
      value < 0 OR value > 100
   OR (denominator > 0 AND status = 'derived' AND source_dataset LIKE 'NM_162_1%'
       AND abs(value - round(100 * numerator / denominator, 1)) > 1e-9)
   OR (denominator > 0 AND status = 'official' AND indicator = 'claimant_rate'
       AND abs(value - 100 * numerator / denominator) > 0.05 + 1e-9))
"""

RANGES_CONTAIN_VALUES_SQL = """
-- A published figure outside its own lower/upper tells the reader the range is wrong, so every range must
-- hold its value (rounding ranges are widened for the 1 dp rounding of rates) and never be half missing.
-- The tolerance only absorbs floating-point error.
SELECT area_code, area_level, indicator, strftime(period, '%Y-%m') AS period, value, lower, upper
FROM area_indicators
WHERE (lower IS NULL) <> (upper IS NULL)
   OR (value IS NOT NULL AND lower IS NOT NULL AND NOT (lower - 1e-9 <= value AND value <= upper + 1e-9))
ORDER BY indicator, area_level, area_code, period
"""

DUPLICATE_KEYS_SQL = """
SELECT ward_code, ward_vintage, indicator, strftime(period, '%Y-%m') AS period, count(*) AS rows
FROM ward_indicators GROUP BY ALL HAVING count(*) > 1
"""

MISSING_BENCHMARKS_SQL = """
-- A ward figure needs a figure for each benchmark its district really has (districts.benchmarks: county,
-- combined authority, region, country, by kind of district) and for the district itself, in the same
-- period, wherever the upstream publishes that indicator for that area at all. A benchmark no upstream
-- publishes (a combined authority a dataset lacks) is not required; one that is published for some
-- months but missing for this one is (a half-loaded or broken benchmark).
WITH expected AS (
    SELECT w.ward_code, w.ward_vintage, w.indicator, w.period, b.level, b.code
    FROM ward_indicators w
    JOIN (SELECT lad_code, unnest(list_prepend({'level': 'lad', 'code': lad_code, 'name': lad_name}, benchmarks)) AS b
          FROM districts) d ON d.lad_code = w.lad_code
    WHERE w.value IS NOT NULL
),
published AS (SELECT DISTINCT area_code, indicator FROM area_indicators WHERE value IS NOT NULL)
SELECT e.ward_code, e.indicator, strftime(e.period, '%Y-%m') AS period, e.level AS missing_level, e.code AS missing_area
FROM expected e
WHERE (e.level IN ('lad', 'country') OR (e.code, e.indicator) IN (SELECT (area_code, indicator) FROM published))
  AND NOT EXISTS (SELECT 1 FROM area_indicators a WHERE a.area_code = e.code AND a.indicator = e.indicator
                  AND a.period = e.period AND a.value IS NOT NULL)
ORDER BY e.level, e.ward_code, e.indicator, e.period
"""

JUMPS_SQL = """
-- A ward's month-on-month change in claimants, beyond the change in its country the same month (so a
-- national shock such as April 2020 explains itself). Small counts are left out: rounding to 5 dominates.
WITH counts AS (
    SELECT area_code, area_level, period, value,
           lag(value) OVER (PARTITION BY area_code, area_level ORDER BY period) AS previous,
           lag(period) OVER (PARTITION BY area_code, area_level ORDER BY period) AS previous_period
    FROM claimant_count WHERE measure = 'count' AND age_band = '16+'
),
country AS (SELECT area_code AS country_code, period, 100 * (value / previous - 1) AS pct
            FROM counts WHERE area_level = 'country'),
ward_country AS (SELECT DISTINCT ward_code, country_code FROM ward_lookup)
SELECT c.area_code, strftime(c.period, '%Y-%m') AS period, c.previous, c.value,
       round(100 * (c.value / c.previous - 1), 1) AS pct_change, round(e.pct, 1) AS country_pct_change
FROM counts c
JOIN ward_country w ON w.ward_code = c.area_code
JOIN country e ON e.country_code = w.country_code AND e.period = c.period
WHERE c.area_level = 'ward' AND c.previous_period = c.period - INTERVAL 1 MONTH
  AND least(c.value, c.previous) >= $small AND abs(100 * (c.value / c.previous - 1) - e.pct) > $max_jump
ORDER BY abs(100 * (c.value / c.previous - 1) - e.pct) DESC
"""


MIXED_ORIGIN_SQL = """
-- Figures from the demo generator never reach a live build, nor live figures a demo build.
SELECT source_asset, dataset, data_label, source_mode, count(*) AS queries
FROM provenance
WHERE (source_mode IN ('live', 'record') AND data_label = 'synthetic demo data')
   OR (source_mode = 'demo' AND data_label = 'live official statistics')
GROUP BY ALL ORDER BY source_asset
"""


def _result(warehouse: WarehouseResource, sql: str, what: str, params: dict | None = None) -> dg.AssetCheckResult:
    with warehouse.get_connection() as conn:
        bad = conn.execute(sql, params or {}).df()
    metadata = {"failing_rows": len(bad)}
    if len(bad):
        metadata["sample"] = dg.MetadataValue.md(bad.head(SAMPLE).to_markdown(index=False))
        metadata["problem"] = f"{len(bad)} {what}"
    return dg.AssetCheckResult(passed=bad.empty, metadata=metadata)


@dg.asset_check(asset="claimant_count", blocking=True)
def every_ward_every_month(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every ward of the configured districts has a claimant count for every month loaded (in the ward
    vintage that month was published on). A gap usually means a half-loaded backfill or a vintage switch."""
    return _result(warehouse, MISSING_WARDS_SQL, "ward(s) missing from some months; backfill those months")


@dg.asset_check(asset="claimant_count", blocking=True)
def counts_are_rounded_to_five(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Claimant counts are non-negative multiples of 5, as DWP publishes them."""
    return _result(warehouse, UNROUNDED_COUNTS_SQL, "count(s) negative or not a multiple of 5")


@dg.asset_check(asset="claimant_count", blocking=True)
def no_unexplained_jumps(project: ProjectResource, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """No ward's claimant count moves from one month to the next by more than `max_monthly_jump_pct`
    (lmi.toml) percentage points beyond its country's change that month, among counts large enough to judge."""
    areas = project.areas()
    return _result(warehouse, JUMPS_SQL, "unexplained month-to-month jump(s)",
                   {"small": areas.small_number_threshold, "max_jump": areas.max_monthly_jump_pct})


@dg.asset_check(asset="area_indicators", blocking=True)
def rates_are_consistent(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Rates lie between 0 and 100 and agree with count / denominator within the publisher's rounding."""
    return _result(warehouse, BAD_RATES_SQL, "rate(s) out of range or inconsistent with count / denominator")


@dg.asset_check(asset="area_indicators", blocking=True)
def ranges_contain_values(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every figure with a range (rounding or 95% confidence interval) lies within its own lower and upper,
    and no range has one end only."""
    return _result(warehouse, RANGES_CONTAIN_VALUES_SQL, "figure(s) outside their own lower/upper range")


@dg.asset_check(asset="ward_indicators", blocking=True)
def no_duplicate_keys(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """One row per ward, vintage, indicator and period."""
    return _result(warehouse, DUPLICATE_KEYS_SQL, "duplicated ward x vintage x indicator x period key(s)")


@dg.asset_check(asset="ward_indicators", blocking=True)
def benchmarks_present(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """Every ward figure has its district and country figure, and one for each other benchmark its district
    really has (county, combined authority, region: by kind of district) wherever that is published."""
    return _result(warehouse, MISSING_BENCHMARKS_SQL, "ward figure(s) without a benchmark")


@dg.asset_check(asset="provenance", blocking=True)
def one_source_mode(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """A live (or record-mode) build holds no figure from the synthetic demo upstream, and a demo build no
    live figure: synthetic numbers can never be published as official statistics."""
    return _result(warehouse, MIXED_ORIGIN_SQL, "query result(s) of another source mode")


# Source assets whose upstream failures degrade them instead of failing the run (sources/isolation.py).
ISOLATED_SOURCES = ["raw_claimant_count", "raw_population", "raw_census_economic_activity", "raw_census_age_activity",
                    "raw_census_qualifications", "raw_census_industry", "raw_census_occupation",
                    "raw_aps", "raw_model_unemployment", "raw_ashe_earnings", "raw_jobs_density", "raw_bres_employees",
                    "raw_business_counts", "raw_neet"]
SOURCE_STATUS_SQL = """
SELECT outcome, reason, release, latest_period, route, geography_level, checked_at
FROM source_status WHERE source_asset = ?
"""


@dg.multi_asset_check(
    specs=[dg.AssetCheckSpec("source_is_current", asset=a, blocking=False,
                             description="This run loaded the source fresh from upstream. A failure is a warning: "
                             "the source kept its last good data (stale) or has none (unavailable), and says why; "
                             "every other source was published.")
           for a in ISOLATED_SOURCES],
    can_subset=True,
)
def sources_are_current(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
    """Whether each source loaded fresh this run (non-blocking: a missing source is not wrong data)."""
    with warehouse.get_connection() as conn:
        conn.execute(CREATE_SOURCE_STATUS)
        for key in context.selected_asset_check_keys:
            row = conn.execute(SOURCE_STATUS_SQL, [key.asset_key.to_user_string()]).fetchone()
            outcome, reason, release, latest, route, level, checked = row or ("not run", "no status recorded",
                                                                               None, None, None, None, None)
            yield dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=outcome == "fresh",
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"outcome": outcome, "reason": reason or "", "release": release or "",
                          "latest_period": latest or "", "route": route or "", "geography_level": level or "",
                          "checked_at": str(checked or "")})


# -- a publication never shrinks the history ------------------------------------------------------------

@dg.asset_check(asset="claimant_count", blocking=True)
def publication_keeps_history(context: dg.AssetCheckExecutionContext, project: ProjectResource,
                              warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """The build holds every claimant month and area the last publication (data/lmi.duckdb, of the same
    source family) holds, and every month from lmi.toml's start_month to the latest for every configured
    district: a publication never silently shrinks the history (e.g. 2 of 166 months after data/work was lost)."""
    areas = project.areas()
    published = Path(project.published_db)
    with warehouse.get_connection() as conn:
        problems, meta = history_problems(conn, published, list(areas.lad_codes), areas.start_month,
                                          project.source_mode)
    metadata = {"failing_rows": sum(int(meta.get(k, 0)) for k in ("lost_months", "lost_district_months",
                                                                   "lost_ward_months")) or len(problems), **meta}
    if problems:
        metadata["problem"] = history_message(problems, published)
        context.log.error(f"publication_keeps_history: {metadata['problem']}")  # in the run's log, for `lmi`
    return dg.AssetCheckResult(passed=not problems, metadata=metadata,
                               description=metadata.get("problem"))
