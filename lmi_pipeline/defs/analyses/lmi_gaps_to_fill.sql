-- The gaps to fill: one row per indicator x kind of gap x level of place (focus wards or districts), naming
-- the places affected. A row of lmi_gaps can show several gaps (e.g. only at county level and stale).
CREATE OR REPLACE VIEW lmi_gaps_to_fill AS
WITH named AS (  -- levels in words
    SELECT *, CASE available_level WHEN 'lad' THEN 'district' ELSE available_level END AS available_level_name,
              CASE place_level WHEN 'lad' THEN 'district' ELSE place_level END AS place_level_name
    FROM lmi_gaps
),
gaps AS (
    SELECT *, 0 AS severity, 'not available this run' AS gap,
           'its source failed this run and there is no earlier load to fall back on: ' || source_problem AS detail,
           'run again when the upstream is back (lmi refresh); the other sources were published' AS suggestion
    FROM named WHERE coverage = 'not_available_this_run'
    UNION ALL
    SELECT *, 0, 'not refreshed this run',
           'its source failed this run, so the figures are from the last good load: ' || source_problem,
           'use with care until the next refresh succeeds; the release is in provenance'
    FROM named WHERE source_outcome = 'stale'
    UNION ALL
    SELECT *, 1 AS severity, 'missing' AS gap,
           'no figures held for this place or any area above it' AS detail,
           'load a source for it (docs/sources.md) or record it as a known gap' AS suggestion
    FROM named WHERE coverage = 'missing'
    UNION ALL
    SELECT *, 2, 'only at ' || available_level_name || ' level',
           'not published or held for a ' || place_level_name || '; the lowest level held is '
           || available_level_name,
           'use the ' || available_level_name || ' figure as context only; look for a ' || place_level_name
           || '-level proxy, or ask the data owner for a local breakdown'
    FROM named WHERE coverage LIKE '%\_only' ESCAPE '\'
    UNION ALL
    -- A minor gap, below 'only at district level': the ward figure exists, but for the focus ward as drawn
    -- on other boundaries (Census 2021 on 2022 wards for a ward redrawn in 2024), so it is not this area's.
    SELECT *, 3, 'only on other ward boundaries',
           'held for this focus ward on other boundaries (' || available_area_name || ', ' || available_level
           || '), not on the boundaries this ward uses',
           'read it as the figure for the ward as drawn then; ward_vintage_bridge shows how the two overlap'
    FROM named WHERE coverage = 'ward_other_boundaries'
    UNION ALL
    SELECT *, 3, 'proxy only',
           'only a proxy is available at ' || place_level_name || ' level',
           'read it as a proxy beside the official measure at the level it exists'
    FROM named WHERE coverage = 'proxy'
    UNION ALL
    SELECT *, 4, 'stale',
           'a newer release was expected by ' || strftime(next_release_due, '%Y-%m-%d') || ' but the latest held is '
           || strftime(latest_period_held, '%Y-%m'),
           'refresh the source (lmi refresh), or check whether the publisher has paused it'
    FROM named WHERE is_stale
    UNION ALL
    SELECT *, 5, 'dated snapshot',
           'the latest figure describes ' || strftime(latest_period, '%B %Y') || ', ' || age_months
           || ' months before ' || strftime(as_of, '%B %Y') || ' (released every ' || release_interval_months
           || ' months)',
           'pair it with a current series (e.g. the claimant count) before drawing conclusions'
    FROM named WHERE is_dated AND NOT is_stale
)
SELECT indicator, any_value(label) AS label, gap, place_level,
       count(*) AS n_places,
       string_agg(place_name, ', ' ORDER BY lad_code, place_name) AS places,
       min(latest_period) AS latest_period,
       any_value(detail ORDER BY place_name) AS detail,
       any_value(suggestion) AS suggestion,
       min(severity) AS severity
FROM gaps
GROUP BY indicator, gap, place_level
ORDER BY severity, indicator, place_level DESC;
