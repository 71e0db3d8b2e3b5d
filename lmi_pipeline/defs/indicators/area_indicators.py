import dagster as dg
import pyarrow as pa

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.geography.reference import reference
from lmi_pipeline.indicators.catalogue import catalogue_rows
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.sources.isolation import CREATE_SOURCE_STATUS

# Each source contributes `figures_<source>.sql` returning these columns for every area it covers.
FIGURE_SOURCES = ["claimant_count", "census", "census_skills", "aps", "model_unemployment", "ashe", "jobs_density",
                  "bres", "business_counts", "neet", "deprivation", "uc_conditionality", "population"]
FIGURE_COLUMNS = [
    "area_code", "area_name", "area_level", "ward_vintage", "period", "indicator", "value", "numerator",
    "denominator", "unit", "lower", "upper", "status", "rounding_base", "obs_status", "source_dataset",
    "source_query_id", "denominator_query_id", "denominator_year",
]

AREA_INDICATORS_SQL = """
CREATE OR REPLACE TABLE area_indicators AS
SELECT f.*,
       f.numerator < $small_number_threshold AS small_number,
       p.data_label, p.release, p.retrieved_at
FROM ({figures}) AS f
LEFT JOIN provenance AS p ON p.query_id = f.source_query_id
"""

CATALOGUE_SQL = """
CREATE OR REPLACE TABLE indicator_catalogue AS
WITH steps AS (
    SELECT *, CASE frequency WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 3 WHEN 'annual' THEN 12
                             WHEN 'decennial' THEN 120 END AS step
    FROM catalogue
)
SELECT c.* EXCLUDE (step, status, source_assets),
       -- What the figures at the lowest level held actually are (e.g. Census 16-24 ward rates are derived when
       -- built from LSOAs, official when Nomis publishes them for wards); the definition's status otherwise.
       coalesce(a.lowest_status, c.status) AS status,
       coalesce(a.levels_available, '') AS levels_available,
       a.latest_period,
       -- Expected next release: the end of the period after the latest one, plus the usual lag. A guide
       -- for staleness, not an announced date.
       (a.latest_period + to_months(c.step + coalesce(c.reference_months, c.step))
        - INTERVAL 1 DAY + to_days(c.release_lag_days))::DATE AS expected_next_release,
       a.data_label,
       -- This run's state of the sources behind it: fresh, stale (last good data kept) or unavailable (none),
       -- why, and the smallest areas they were fetched for (e.g. Census 16-24 from LSOAs, or districts only).
       s.source_outcome, s.source_problem, s.source_geography
FROM steps AS c
LEFT JOIN (
    SELECT c.indicator,
           CASE WHEN bool_or(st.outcome = 'unavailable') THEN 'unavailable' WHEN bool_or(st.outcome = 'stale')
                THEN 'stale' WHEN bool_and(st.outcome = 'fresh') THEN 'fresh' END AS source_outcome,
           string_agg(st.source_asset || ' ' || st.outcome || ': ' || st.reason, '; ' ORDER BY st.source_asset)
               FILTER (WHERE st.outcome <> 'fresh') AS source_problem,
           string_agg(DISTINCT st.geography_level, ', ' ORDER BY st.geography_level) AS source_geography
    FROM catalogue AS c, unnest(c.source_assets) AS u(asset)
    LEFT JOIN source_status AS st ON st.source_asset = u.asset
    GROUP BY c.indicator
) AS s USING (indicator)
LEFT JOIN (
    SELECT indicator, max(period) AS latest_period,
           string_agg(DISTINCT area_level, ', ' ORDER BY area_level) AS levels_available,
           string_agg(DISTINCT status, '/' ORDER BY status) FILTER (WHERE area_level = 'ward') AS lowest_status,
           string_agg(DISTINCT data_label, ', ' ORDER BY data_label) AS data_label
    FROM area_indicators GROUP BY indicator
) AS a USING (indicator)
ORDER BY c.indicator
"""


def district_parents(ref) -> pa.Table:
    """Every district's county and region (the bundled ONS reference), so figures built from LSOAs (IoD) can
    give the configured districts' county and region benchmarks."""
    return pa.Table.from_pylist(
        [{"lad_code": d.code, "county_code": d.county_code, "county_name": d.county_name,
          "region_code": d.region_code, "region_name": d.region_name} for d in ref.districts.values()],
        schema=pa.schema([(c, pa.string()) for c in ("lad_code", "county_code", "county_name", "region_code",
                                                      "region_name")]))


@dg.asset(group_name="indicators", kinds={"duckdb"},
          deps=["claimant_count", "population", "census_economic_activity", "census_skills_work", "aps_estimates",
                "model_unemployment", "ashe_earnings", "jobs_density", "bres_employees", "business_counts",
                "neet_participation", "provenance", "iod_lsoa", "lsoa_ward_lookup", "uc_conditionality"],
          pool="duckdb_writer")
def area_indicators(project: ProjectResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every indicator for every area held (wards, districts, counties, regions, England), long format.

    Official figures are the publisher's own; derived ones (youth claimant rates, Census 16-24 rates of
    wards built from LSOAs by best fit, IoD 2025 employment and income deprivation and the IMD aggregated from
    LSOAs, England only)
    are computed here, identically at every level; proxies stand in
    for what no one publishes (a Census NEET proxy for wards). `lower`/`upper` give the range the
    nearest-5 rounding of a claimant count allows, or the 95% confidence interval of a survey estimate;
    `small_number` flags counts under the threshold. Survey and DfE figures exist for districts or
    counties and above only, never for wards.
    """
    threshold = project.areas().small_number_threshold
    cols = ", ".join(FIGURE_COLUMNS)
    figures = " UNION ALL BY NAME ".join(
        f"SELECT {cols} FROM ({load_sql(__file__, 'figures_' + source)})" for source in FIGURE_SOURCES)
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("district_parents", district_parents(reference()))
        conn.execute(AREA_INDICATORS_SQL.format(figures=figures), {"small_number_threshold": threshold})
        conn.unregister("district_parents")
        conn.execute("COMMIT")
        n = conn.execute("SELECT count(*) FROM area_indicators").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n})


@dg.asset(group_name="indicators", kinds={"duckdb"}, deps=["area_indicators"], pool="duckdb_writer")
def indicator_catalogue(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per indicator: name, definition, unit, source dataset, the levels the source publishes
    and the levels we hold, frequency, latest period, expected next release, licence, official/derived/proxy
    status and caveats; and this run's state of its sources (`source_outcome` fresh / stale / unavailable,
    `source_problem` saying why, `source_geography` the smallest areas they were fetched for).
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        conn.register("catalogue", pa.Table.from_pylist(catalogue_rows()))
        conn.execute(CREATE_SOURCE_STATUS)
        conn.execute(CATALOGUE_SQL)
        conn.execute("COMMIT")
        n = conn.execute("SELECT count(*) FROM indicator_catalogue").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n})
