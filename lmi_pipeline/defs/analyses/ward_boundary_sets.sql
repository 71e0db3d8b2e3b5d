-- Ward boundary sets: for each configured district, each set of ward boundaries (vintage) its claimant count
-- is published on in the latest month, and the one set its wards are ranked on. Wards of two sets are never
-- ranked, scored or charted as one: after a boundary change Nomis publishes both, and a ward that only
-- changed its code would count twice. Needs the temporary table `priority_weight_config(component, weight)`.
--
-- The ranking set is the newest whose wards all have a figure for every weighted component; where no set
-- has, the newest, scored on the components every one of its wards has (`components_incomplete` says which
-- were left out, for all its wards alike).
CREATE OR REPLACE TABLE ward_boundary_sets AS
WITH sets AS (
    SELECT lad_code, any_value(lad_name) AS lad_name, ward_vintage, count(DISTINCT ward_code) AS n_wards,
           max(claimant_period) AS latest_period
    FROM priority_inputs GROUP BY lad_code, ward_vintage
),
coverage AS (  -- weighted components only: a component weighing 0 cannot make a set incomplete
    SELECT i.lad_code, i.ward_vintage, i.component, any_value(i.position) AS position,
           count(i.value) AS n_with_value, count(*) AS n
    FROM priority_inputs i JOIN priority_weight_config w ON w.component = i.component AND w.weight > 0
    GROUP BY i.lad_code, i.ward_vintage, i.component
),
per_set AS (
    SELECT s.lad_code, s.lad_name, s.ward_vintage, s.n_wards, s.latest_period,
           coalesce(bool_and(c.n_with_value = c.n), true) AS has_complete_components,
           string_agg(c.component || ' (' || (c.n - c.n_with_value) || ' of ' || c.n || ' wards without a figure)',
                      ', ' ORDER BY c.position) FILTER (WHERE c.n_with_value < c.n) AS components_incomplete
    FROM sets s LEFT JOIN coverage c USING (lad_code, ward_vintage)
    GROUP BY s.lad_code, s.lad_name, s.ward_vintage, s.n_wards, s.latest_period
),
chosen AS (
    SELECT *,
           row_number() OVER (PARTITION BY lad_code ORDER BY has_complete_components DESC, ward_vintage DESC) = 1
               AS is_ranking_set,
           count(*) OVER (PARTITION BY lad_code) AS n_sets
    FROM per_set
),
described AS (
    SELECT *,
           max(ward_vintage) FILTER (WHERE is_ranking_set) OVER (PARTITION BY lad_code) AS ranking_vintage,
           string_agg(ward_vintage::VARCHAR, ' and ') OVER (PARTITION BY lad_code ORDER BY ward_vintage DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS all_vintages,
           string_agg(CASE WHEN NOT is_ranking_set AND components_incomplete IS NOT NULL
                           THEN 'the ' || ward_vintage || ' wards lack ' || components_incomplete END, '; ')
               OVER (PARTITION BY lad_code ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS why_not
    FROM chosen
)
SELECT lad_code, lad_name, ward_vintage, n_wards, latest_period, has_complete_components, components_incomplete,
       is_ranking_set,
       CASE WHEN n_sets > 1 THEN
           'Ward boundaries changed: the claimant count for ' || latest_period_name || ' is published on '
           || all_vintages || ' wards. Rankings use the ' || ranking_vintage || ' wards'
           || CASE WHEN has_complete_any THEN ', the newest set with every component for every ward'
                   ELSE ', the newest set (no set has every component for every ward)' END
           || coalesce(' (' || why_not || ')', '')
           || '. Each set''s series is shown on its own, never joined to the other.'
       END AS boundary_note
FROM (SELECT *, strftime(latest_period, '%B %Y') AS latest_period_name,
             bool_or(has_complete_components) OVER (PARTITION BY lad_code) AS has_complete_any
      FROM described)
ORDER BY lad_code, ward_vintage DESC;
