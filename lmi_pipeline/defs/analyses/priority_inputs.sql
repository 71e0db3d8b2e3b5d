-- Priority inputs: for each configured district, every ward of every boundary set with a claimant figure in
-- the latest month, and its figure for each component of the priority composite; one row per ward x component.
-- Needs the temporary table `priority_components(component, indicator, measure, position, label)`.
--
-- A component's figure on other boundaries is used only where the ward has the same GSS code (same area) or
-- the vintage bridge says it was only recoded; otherwise the ward has no figure for it, never one moved
-- across boundaries. `lower`/`upper` are the range rounding allows (NULL where the figure has none, e.g. the
-- Census, whose counts ONS perturbs rather than rounds).
CREATE OR REPLACE TABLE priority_inputs AS
WITH latest AS (
    SELECT max(period) AS period FROM ward_indicators WHERE indicator = 'claimant_rate' AND value IS NOT NULL
),
wards AS (
    SELECT w.lad_code, w.lad_name, w.ward_code, w.ward_name, w.ward_vintage, w.is_focus, w.period AS claimant_period
    FROM ward_indicators w JOIN latest l ON w.period = l.period
    WHERE w.indicator = 'claimant_rate' AND w.value IS NOT NULL
),
indicator_latest AS (  -- each indicator's latest period with a ward figure
    SELECT indicator, max(period) AS period FROM ward_indicators WHERE value IS NOT NULL GROUP BY indicator
),
same_area AS (  -- the codes a ward's area had on other boundary vintages: its own, or one it was recoded from
    SELECT ward_code, ward_vintage, ward_code AS figure_code FROM wards
    UNION
    SELECT w.ward_code, w.ward_vintage, b.from_ward_code
    FROM wards w JOIN ward_vintage_bridge b
      ON b.to_ward_code = w.ward_code AND b.to_vintage = w.ward_vintage AND b.relationship = 'recoded'
),
figures AS (
    SELECT s.ward_code, s.ward_vintage, c.component,
           CASE c.measure WHEN 'value' THEN f.value ELSE f.change_12m END AS value,
           CASE c.measure WHEN 'value' THEN f.lower ELSE f.change_12m_lower END AS lower,
           CASE c.measure WHEN 'value' THEN f.upper ELSE f.change_12m_upper END AS upper,
           CASE c.measure WHEN 'value' THEN f.lad_value ELSE f.lad_value - lad_prev.value END AS lad_value,
           f.period, f.ward_vintage AS figure_vintage, f.small_number, f.status, f.source_query_id,
           f.denominator_query_id, f.data_label
    FROM same_area s
    CROSS JOIN priority_components c
    JOIN indicator_latest il ON il.indicator = c.indicator
    JOIN ward_indicators f ON f.ward_code = s.figure_code AND f.indicator = c.indicator AND f.period = il.period
    LEFT JOIN area_indicators lad_prev
           ON c.measure = 'change_12m' AND lad_prev.area_code = f.lad_code AND lad_prev.area_level = 'lad'
          AND lad_prev.indicator = c.indicator AND lad_prev.period = f.period - INTERVAL 12 MONTH
    -- Prefer the ward's own boundaries, then its latest other vintage.
    QUALIFY row_number() OVER (PARTITION BY s.ward_code, s.ward_vintage, c.component
                               ORDER BY f.ward_vintage = s.ward_vintage DESC, f.ward_code = s.ward_code DESC,
                                        f.ward_vintage DESC) = 1
)
SELECT w.lad_code, w.lad_name, w.ward_code, w.ward_name, w.ward_vintage, w.is_focus, w.claimant_period,
       c.component, c.indicator, c.measure, c.position, c.label,
       f.value, f.lower, f.upper, f.lad_value, f.period, f.figure_vintage, f.small_number, f.status,
       f.source_query_id, f.denominator_query_id, f.data_label
FROM wards w
CROSS JOIN priority_components c
LEFT JOIN figures f ON f.ward_code = w.ward_code AND f.ward_vintage = w.ward_vintage AND f.component = c.component
ORDER BY w.lad_code, w.ward_vintage, w.ward_code, c.position;
