-- People on Universal Credit by conditionality regime (DWP Stat-Xplore UC_Monthly) for wards, their districts
-- and countries: one official count per regime as Stat-Xplore publishes it, and all UC people as their sum
-- ('computed'). Counties, combined authorities and regions are not asked for. No row at all when no
-- Stat-Xplore key is set (uc_conditionality is empty).
-- Counts carry DWP's statistical disclosure control, so no rounding base is claimed and small counts are flagged
-- by area_indicators' small-number threshold like any other count.
WITH regimes(regime_id, indicator) AS (
    VALUES ('searching_for_work', 'uc_searching_for_work'),
           ('working_with_requirements', 'uc_working_with_requirements'),
           ('working_no_requirements', 'uc_working_no_requirements'),
           ('no_work_requirements', 'uc_no_work_requirements'),
           ('planning_for_work', 'uc_planning_for_work'),
           ('preparing_for_work', 'uc_preparing_for_work')
),
counts AS (
    SELECT u.area_code, u.area_name, u.area_level, u.ward_vintage, u.period, g.indicator, u.people,
           'official' AS status, u.source_dataset, u.source_query_id
    FROM uc_conditionality AS u JOIN regimes AS g USING (regime_id)
    UNION ALL
    -- Every regime's people (a regime Stat-Xplore adds later included, as 'other'): the caseload.
    SELECT area_code, any_value(area_name), area_level, ward_vintage, period, 'uc_people',
           CASE WHEN count(people) = count(*) THEN sum(people) END, 'computed', any_value(source_dataset),
           any_value(source_query_id)
    FROM uc_conditionality WHERE regime_id <> 'total'
    GROUP BY area_code, area_level, ward_vintage, period
)
SELECT area_code, area_name, area_level, ward_vintage, period, indicator, people AS value,
       people AS numerator, NULL::DOUBLE AS denominator, 'people' AS unit, NULL::DOUBLE AS lower,
       NULL::DOUBLE AS upper, status, NULL::INTEGER AS rounding_base, NULL AS obs_status, source_dataset,
       source_query_id, NULL AS denominator_query_id, NULL::INTEGER AS denominator_year
FROM counts
