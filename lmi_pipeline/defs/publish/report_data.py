"""What the report shows, read from the working database: one named query per section.

The report only reads: every figure it prints comes from one of these queries over the published tables,
and carries the provenance ids (`source_query_id`, `denominator_query_id`) that the methods section lists.
"""

from __future__ import annotations

from typing import Any

import duckdb

META_SQL = """
SELECT (SELECT max(period) FROM ward_indicators WHERE indicator = 'claimant_rate' AND value IS NOT NULL)
           AS latest_month,
       (SELECT string_agg(DISTINCT data_label, ' + ' ORDER BY data_label) FROM provenance) AS data_label,
       (SELECT string_agg(DISTINCT source_mode, ', ' ORDER BY source_mode) FROM provenance) AS source_mode,
       (SELECT max(retrieved_at) FROM provenance) AS last_retrieved,
       (SELECT min(baseline_period) FROM focus_ward_progress) AS baseline_month,
       (SELECT any_value(small_number_threshold) FROM areas_config) AS small_number_threshold,
       (SELECT any_value(youth_age_band) FROM areas_config) AS youth_age_band,
       (SELECT any_value(as_of) FROM lmi_gaps) AS as_of
"""

DISTRICTS_SQL = """
SELECT d.lad_code, d.lad_name, d.kind, d.county_code, d.county_name, d.combined_authority_name, d.region_code,
       d.region_name, d.country_code, d.country_name, d.covered_because,
       array_to_string(list_transform(d.benchmarks, lambda b: b.name), ', ') AS compared_with,
       (SELECT count(DISTINCT ward_code) FROM priority_wards p WHERE p.lad_code = d.lad_code) AS n_wards,
       (SELECT string_agg(DISTINCT ward_name, ', ' ORDER BY ward_name) FROM ward_lookup f
         WHERE f.lad_code = d.lad_code AND f.is_focus AND f.focus_match = 'as named') AS focus_wards
FROM districts d
ORDER BY d.lad_code
"""

# Every catalogue indicator for each district: the district's own latest figure where it is held, else the
# lowest area above it (from lmi_gaps), with the same figure a year earlier and the larger areas it is
# compared with (those its structure has: county or combined authority, region, country).
DISTRICT_INDICATORS_SQL = """
WITH parents AS (
    SELECT lad_code, coalesce(county_code, CASE WHEN kind = 'metropolitan district' THEN combined_authority_code END)
               AS upper_code, region_code, country_code
    FROM districts
)
SELECT g.*, c.caveats AS indicator_caveats,
       prev.value AS year_before_value,
       up.value AS upper_value, rgn.value AS region_value, ctry.value AS country_value,
       fig.numerator, fig.denominator_query_id, fig.obs_status
FROM lmi_gaps g
JOIN parents p USING (lad_code)
JOIN indicator_catalogue c USING (indicator)
LEFT JOIN area_indicators fig ON fig.area_code = g.available_area_code AND fig.indicator = g.indicator
      AND fig.period = g.latest_period AND fig.ward_vintage IS NULL
LEFT JOIN area_indicators prev ON prev.area_code = g.available_area_code AND prev.indicator = g.indicator
      AND prev.period = g.latest_period - INTERVAL 12 MONTH AND prev.ward_vintage IS NULL
LEFT JOIN area_indicators up ON up.area_code = p.upper_code AND up.indicator = g.indicator
      AND up.period = g.latest_period
LEFT JOIN area_indicators rgn ON rgn.area_code = p.region_code AND rgn.indicator = g.indicator
      AND rgn.period = g.latest_period
LEFT JOIN area_indicators ctry ON ctry.area_code = p.country_code AND ctry.indicator = g.indicator
      AND ctry.period = g.latest_period
WHERE g.place_level = 'lad'
ORDER BY g.lad_code, g.release_interval_months, g.indicator
"""

# The districts side by side: each headline indicator's latest district figure (where held for the district).
COMPARISON_SQL = """
WITH latest AS (
    SELECT indicator, max(period) AS period FROM area_indicators WHERE area_level = 'lad' AND value IS NOT NULL
    GROUP BY indicator
)
SELECT d.lad_code, d.lad_name, d.kind, a.indicator, c.label, a.value, a.unit, a.lower, a.upper, a.rounding_base,
       a.status, a.period, a.source_query_id, a.denominator_query_id, a.obs_status,
       prev.value AS year_before_value
FROM districts d
JOIN area_indicators a ON a.area_code = d.lad_code AND a.area_level = 'lad'
JOIN latest l ON l.indicator = a.indicator AND l.period = a.period
JOIN indicator_catalogue c ON c.indicator = a.indicator
LEFT JOIN area_indicators prev ON prev.area_code = a.area_code AND prev.area_level = 'lad'
      AND prev.indicator = a.indicator AND prev.period = a.period - INTERVAL 12 MONTH
WHERE a.indicator IN ('claimant_count', 'claimant_rate', 'claimant_rate_16_24', 'claimant_rate_18_24',
                      'census_unemployment_rate', 'model_unemployment_rate', 'aps_unemployment_rate')
ORDER BY d.lad_code, a.indicator
"""

# Each focus ward's latest figure for every indicator held for it, with its benchmarks. A code is one area
# whatever the vintage (an unchanged ward keeps its code), so the latest figure per code is taken; the focus
# ward's name in lmi.toml (`focus_name`) ties its codes on old and new boundaries together, and
# `on_ranking_set` says which code belongs to the boundary set its district is ranked on.
FOCUS_WARD_FIGURES_SQL = """
SELECT w.*, c.label, c.frequency, coalesce(l.focus_name, w.ward_name) AS focus_name,
       EXISTS (SELECT 1 FROM ward_boundary_sets s JOIN ward_lookup r USING (lad_code, ward_vintage)
               WHERE s.is_ranking_set AND s.lad_code = w.lad_code AND r.ward_code = w.ward_code) AS on_ranking_set,
       (SELECT string_agg(DISTINCT r.ward_vintage::VARCHAR, ', ' ORDER BY r.ward_vintage::VARCHAR)
          FROM ward_lookup r WHERE r.ward_code = w.ward_code) AS ward_vintages
FROM ward_indicators w JOIN indicator_catalogue c USING (indicator)
LEFT JOIN (SELECT DISTINCT ward_code, focus_name FROM ward_lookup WHERE is_focus) l USING (ward_code)
WHERE w.is_focus AND w.value IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY w.ward_code, w.indicator ORDER BY w.period DESC, w.ward_vintage DESC) = 1
ORDER BY w.lad_code, w.ward_name,
         CASE c.frequency WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 2 WHEN 'annual' THEN 3 ELSE 4 END, w.indicator
"""

# Where each claimant rate is highest: the top ward of each district's ranking boundary set in its latest month,
# and how many wards could be highest given the counts' rounding (those whose upper bound reaches the top ward's
# lower bound, the top ward included), so one ward is never named highest when rounding cannot tell.
HIGHEST_SQL = """
WITH latest AS (
    SELECT w.lad_code, w.lad_name, w.indicator, w.ward_code, w.ward_name, w.ward_vintage, w.period, w.value,
           w.lower, w.upper, w.unit, w.status, w.small_number, w.source_query_id, w.denominator_query_id,
           w.n_wards_in_lad,
           row_number() OVER (PARTITION BY w.lad_code, w.indicator ORDER BY w.value DESC, w.ward_name) AS position
    FROM ward_indicators w
    JOIN ward_boundary_sets s ON s.lad_code = w.lad_code AND s.ward_vintage = w.ward_vintage AND s.is_ranking_set
    WHERE w.indicator IN ('claimant_rate', 'claimant_rate_16_24', 'claimant_rate_18_24') AND w.period = s.latest_period
      AND w.value IS NOT NULL
)
SELECT t.*, (SELECT count(*) FROM latest o WHERE o.lad_code = t.lad_code AND o.indicator = t.indicator
               AND coalesce(o.upper, o.value) >= coalesce(t.lower, t.value)) AS n_could_be_highest
FROM latest t WHERE t.position = 1
ORDER BY t.lad_code, t.indicator
"""

FOCUS_WARD_GAPS_SQL = """
SELECT place_code AS ward_code, label, coverage, available_level, available_area_name, latest_period
FROM lmi_gaps
WHERE place_level = 'ward' AND coverage NOT IN ('available')
ORDER BY place_code, coverage, indicator
"""

PRIORITY_SQL = """
SELECT * FROM priority_wards ORDER BY lad_code, priority_rank NULLS LAST, ward_name
"""

# Each district's ward boundary sets and the one it is ranked on (several rows after a boundary change).
BOUNDARY_SETS_SQL = """
SELECT * FROM ward_boundary_sets ORDER BY lad_code, is_ranking_set DESC, ward_vintage DESC
"""

# The top ward under each alternative weighting, per district (ranking set only).
SENSITIVITY_SQL = """
SELECT * FROM priority_sensitivity ORDER BY lad_code, position
"""

PROGRESS_SQL = """
SELECT * FROM focus_ward_progress ORDER BY lad_code, ward_name,
       CASE indicator WHEN 'claimant_rate' THEN 1 WHEN 'claimant_rate_16_24' THEN 2 WHEN 'claimant_count' THEN 3
                      WHEN 'claimant_count_16_24' THEN 4 ELSE 5 END, indicator
"""

GAPS_TO_FILL_SQL = """
SELECT * FROM lmi_gaps_to_fill ORDER BY severity, label, place_level DESC, gap, places, indicator
"""

# Each focus ward's status for every need (lmi_need_gaps), for the first screen's "what LMI is missing".
NEED_GAPS_SQL = """
SELECT place_code, place_name, need_position, need_label, status, held_status, available_level, source_to_add
FROM lmi_need_gaps WHERE place_level = 'ward' ORDER BY need_position, place_name
"""

CATALOGUE_SQL = """
SELECT * FROM indicator_catalogue
ORDER BY CASE frequency WHEN 'monthly' THEN 1 WHEN 'quarterly' THEN 2 WHEN 'annual' THEN 3 ELSE 4 END, indicator
"""

# The upstream queries behind the figures (data, not metadata look-ups), numbered in this order in the report.
SOURCES_SQL = """
WITH used AS (
    SELECT source_query_id AS query_id FROM area_indicators
    UNION SELECT denominator_query_id FROM area_indicators
)
SELECT p.query_id, p.source_asset, p.service, p.dataset, p.query_url, p.release, p.retrieved_at, p.rows, p.pages,
       p.sha256, p.source_mode, p.data_label, p.latest_period
FROM provenance p
WHERE p.query_id IN (SELECT query_id FROM used)
ORDER BY p.source_asset, p.retrieved_at, p.query_id
"""

OTHER_REQUESTS_SQL = """
SELECT count(*) AS queries, coalesce(sum(pages), 0) AS pages FROM provenance
WHERE query_id NOT IN (SELECT source_query_id FROM area_indicators WHERE source_query_id IS NOT NULL
                       UNION SELECT denominator_query_id FROM area_indicators WHERE denominator_query_id IS NOT NULL)
"""

# This run's state of every source: fresh, stale (last good data kept) or unavailable (none), and why.
SOURCE_STATUS_SQL = """
SELECT source_asset, upstream, outcome, reason, release, latest_period, route, geography_level, last_success_at
FROM source_status ORDER BY outcome = 'fresh', source_asset
"""

QUERIES = {
    "meta": META_SQL, "districts": DISTRICTS_SQL, "district_indicators": DISTRICT_INDICATORS_SQL,
    "comparison": COMPARISON_SQL, "highest": HIGHEST_SQL,
    "focus_figures": FOCUS_WARD_FIGURES_SQL, "focus_gaps": FOCUS_WARD_GAPS_SQL, "priority": PRIORITY_SQL,
    "boundary_sets": BOUNDARY_SETS_SQL, "sensitivity": SENSITIVITY_SQL,
    "progress": PROGRESS_SQL, "gaps_to_fill": GAPS_TO_FILL_SQL, "need_gaps": NEED_GAPS_SQL, "catalogue": CATALOGUE_SQL, "sources": SOURCES_SQL,
    "other_requests": OTHER_REQUESTS_SQL, "source_status": SOURCE_STATUS_SQL,
}


def records(conn: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """Rows as dicts, NULL as None (never NaN), dates as dates."""
    cursor = conn.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def report_data(conn: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    # source_status exists once any source has run, lmi_need_gaps once the needs catalogue has been built; a
    # warehouse built before then simply has none to show.
    optional = {"source_status": "source_status", "need_gaps": "lmi_need_gaps"}  # query -> the table it reads
    return {name: [] if name in optional and optional[name] not in tables else records(conn, sql)
            for name, sql in QUERIES.items()}
