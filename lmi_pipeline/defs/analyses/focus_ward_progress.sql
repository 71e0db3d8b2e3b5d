-- Progress since the baseline month (lmi.toml [analysis] baseline_month) for each focus ward and every monthly
-- catalogue indicator, one row per ward x boundary set (ward_vintage) x indicator. Parameter: $baseline (DATE,
-- first day of the baseline month).
--
-- WHAT IS COMPARED. Small-area claimant figures are not seasonally adjusted and move a lot from month to month, so
-- one month against another mostly measures season and chance. `change` (which drives `direction`) is the mean of
-- the 12 months ending with the latest month less the mean of the 12 months ending with the baseline month: each
-- average spans every calendar month once, so seasonality cancels. Both need all 12 months, else no change is
-- given (`months_in_baseline` / `months_in_latest` say how many were held). The same-calendar-month comparison is
-- carried beside it for reference only (`baseline_value` and `latest_same_month_value`, e.g. April 2015 and the
-- latest April); `latest_value` is the latest single month.
--
-- ONE BOUNDARY SET. Every figure of a row comes from the same ward_vintage: a series is never spliced across
-- boundary sets (Nomis rebuilds small-area series on each new ward set). A focus ward held on two sets has a row
-- for each, and each set's latest month is the latest it is published for (any ward of that set); a set that ends
-- before the newest says so in `caveats`.
--
-- THE TEST. Normal month-to-month variation is estimated for each ward x indicator on its own boundary set from
-- the month-on-month changes over the two years to the latest month (the up-to-24 changes into each of the 24
-- months ending with the latest; a change needs both months held). If each month = level + independent noise of
-- sd sigma, a change has sd sqrt(2)*sigma, so sigma = sd(changes) / sqrt(2) (`noise_sd`). A 12-month mean then
-- has standard error sigma/sqrt(12), and the difference of two such means sqrt(2)*sigma/sqrt(12) = sd(changes) /
-- sqrt(12) (`se_change`). The interval is
--     change_lower = mean(latest lower bounds) - mean(baseline upper bounds) - 1.96 * se_change
--     change_upper = mean(latest upper bounds) - mean(baseline lower bounds) + 1.96 * se_change
-- i.e. about 95% for noise, plus the whole range the rounding of both means allows. Counts are rounded to the
-- nearest 5 (each month within +-2), so a 12-month mean of counts is within +-2 and the difference of two within
-- +-4; for rates the bounds are each month's published range (the count's +-2 over the denominator, plus the 1 dp
-- rounding; a month with no range adds none). The rounding is added at its worst case, not combined in
-- quadrature: rounding errors of a slowly moving count repeat month after month rather than averaging out.
-- `direction` is 'rose' / 'fell' only when the whole interval is above / below zero, otherwise 'no clear
-- change'. The noise estimate is conservative in two ways (month-on-month changes also carry seasonal swings and
-- rounding), and approximate in one: it assumes the baseline years were no noisier than the latest two years, and
-- that monthly noise is independent.
--
-- UNIVERSAL CREDIT. Under Universal Credit a broader group of claimants must look for work than under
-- Jobseeker's Allowance, so the claimant count rose where UC full service arrived, whatever the labour market did
-- (ONS, "Publication arrangements for the Claimant Count", 2017: it "may now be providing a misleading
-- representation of the UK labour market"; the series has been experimental statistics, now "official statistics
-- in development", since June 2015). Full service reached every jobcentre in December 2018:
-- `baseline_before_uc_full_service` is true for a baseline month before then, with a caveat.
CREATE OR REPLACE TABLE focus_ward_progress AS
WITH params AS (
    SELECT $baseline::DATE AS baseline,
           ($baseline::DATE - INTERVAL 11 MONTH)::DATE AS baseline_start,  -- the 12 months ending with the baseline
           DATE '2018-12-01' AS uc_full_service                            -- UC full service in every jobcentre
),
monthly AS (
    SELECT indicator, label FROM indicator_catalogue WHERE frequency = 'monthly'
),
-- The latest month published on each boundary set, for any ward (not only the focus wards).
latest_months AS (
    SELECT w.ward_vintage, w.indicator, max(w.period) AS latest_period
    FROM ward_indicators w JOIN monthly m USING (indicator)
    WHERE w.value IS NOT NULL
    GROUP BY w.ward_vintage, w.indicator
),
-- The latest month of each indicator on any boundary set, so a set that stopped earlier can say so.
newest_months AS (
    SELECT indicator, max(latest_period) AS newest_period FROM latest_months GROUP BY indicator
),
-- Every figure held for a focus ward, with its month-on-month change on the same boundary set (NULL unless the
-- previous month is held).
series AS (
    SELECT w.ward_code, w.ward_vintage, w.indicator, w.period, w.value, w.lower, w.upper, w.lad_value,
           w.country_value, w.small_number, w.denominator_year, w.source_query_id, lm.latest_period,
           CASE WHEN lag(w.period) OVER s = (w.period - INTERVAL 1 MONTH)::DATE
                THEN w.value - lag(w.value) OVER s END AS month_change
    FROM ward_indicators w
    JOIN monthly m USING (indicator)
    JOIN latest_months lm USING (ward_vintage, indicator)
    WHERE w.is_focus AND w.value IS NOT NULL
    WINDOW s AS (PARTITION BY w.ward_code, w.ward_vintage, w.indicator ORDER BY w.period)
),
-- One row per focus ward x boundary set x indicator, described by its latest figure.
keys AS (
    SELECT w.ward_code, w.ward_name, w.ward_vintage, w.lad_code, w.lad_name, w.indicator, m.label, w.unit,
           w.status, w.source_query_id, w.denominator_query_id, w.data_label
    FROM ward_indicators w JOIN monthly m USING (indicator)
    WHERE w.is_focus AND w.value IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY w.ward_code, w.ward_vintage, w.indicator ORDER BY w.period DESC) = 1
),
windows AS (
    SELECT s.ward_code, s.ward_vintage, s.indicator, any_value(s.latest_period) AS latest_period,
           -- the 12 months ending with the baseline month
           count(*) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS months_in_baseline,
           avg(s.value) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_mean,
           avg(coalesce(s.lower, s.value)) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_mean_lower,
           avg(coalesce(s.upper, s.value)) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_mean_upper,
           count(s.lad_value) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_lad_months,
           avg(s.lad_value) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_lad_mean,
           count(s.country_value) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_country_months,
           avg(s.country_value) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_country_mean,
           bool_or(s.small_number) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_small,
           min(s.denominator_year) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_den_min,
           max(s.denominator_year) FILTER (s.period BETWEEN p.baseline_start AND p.baseline) AS b_den_max,
           arg_max(s.source_query_id, s.period) FILTER (s.period BETWEEN p.baseline_start AND p.baseline)
               AS baseline_source_query_id,
           -- the 12 months ending with the latest month
           count(*) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS months_in_latest,
           avg(s.value) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_mean,
           avg(coalesce(s.lower, s.value)) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_mean_lower,
           avg(coalesce(s.upper, s.value)) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_mean_upper,
           count(s.lad_value) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_lad_months,
           avg(s.lad_value) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_lad_mean,
           count(s.country_value) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_country_months,
           avg(s.country_value) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_country_mean,
           bool_or(s.small_number) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_small,
           min(s.denominator_year) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_den_min,
           max(s.denominator_year) FILTER (s.period > s.latest_period - INTERVAL 12 MONTH) AS l_den_max,
           -- month-on-month changes into each of the 24 months ending with the latest month
           count(s.month_change) FILTER (s.period > s.latest_period - INTERVAL 24 MONTH) AS noise_changes,
           stddev_samp(s.month_change) FILTER (s.period > s.latest_period - INTERVAL 24 MONTH) AS change_sd,
           -- single months: the baseline month, the latest month, and the baseline's calendar month in the
           -- latest year that has it (April 2015 -> the latest April)
           max(s.value) FILTER (s.period = p.baseline) AS baseline_value,
           max(s.value) FILTER (s.period = s.latest_period) AS latest_value,
           max(s.value) FILTER (s.period = s.same_month_period) AS same_month_value,
           any_value(s.same_month_period) AS same_month_period
    FROM (SELECT *, make_date(year(latest_period) - CASE WHEN month(latest_period) < month($baseline::DATE)
                                                         THEN 1 ELSE 0 END,
                              month($baseline::DATE), 1) AS same_month_period
          FROM series) s
    CROSS JOIN params p
    GROUP BY s.ward_code, s.ward_vintage, s.indicator
),
tested AS (
    SELECT *, p.baseline AS baseline_period, p.baseline < p.uc_full_service AS baseline_before_uc_full_service,
           p.baseline_start < p.uc_full_service AS baseline_window_before_uc_full_service,
           -- NULL when the baseline is itself the latest such month
           CASE WHEN w.same_month_period > p.baseline THEN w.same_month_period END AS latest_same_month_period,
           CASE WHEN w.same_month_period > p.baseline THEN w.same_month_value END AS latest_same_month_value,
           CASE WHEN w.months_in_baseline = 12 THEN w.b_mean END AS baseline_mean,
           CASE WHEN w.months_in_latest = 12 THEN w.l_mean END AS latest_mean,
           w.change_sd / sqrt(2) AS noise_sd,
           w.change_sd / sqrt(12) AS se_change,   -- sqrt(2) * noise_sd / sqrt(12)
           CASE WHEN w.months_in_baseline = 12 AND w.months_in_latest = 12 AND w.change_sd IS NOT NULL
                THEN w.l_mean_lower - w.b_mean_upper - 1.96 * w.change_sd / sqrt(12) END AS change_lower,
           CASE WHEN w.months_in_baseline = 12 AND w.months_in_latest = 12 AND w.change_sd IS NOT NULL
                THEN w.l_mean_upper - w.b_mean_lower + 1.96 * w.change_sd / sqrt(12) END AS change_upper,
           CASE WHEN w.b_lad_months = 12 THEN w.b_lad_mean END AS lad_baseline_mean,
           CASE WHEN w.l_lad_months = 12 THEN w.l_lad_mean END AS lad_latest_mean,
           CASE WHEN w.b_country_months = 12 THEN w.b_country_mean END AS country_baseline_mean,
           CASE WHEN w.l_country_months = 12 THEN w.l_country_mean END AS country_latest_mean
    FROM keys k
    JOIN windows w USING (ward_code, ward_vintage, indicator)
    JOIN newest_months n USING (indicator)
    CROSS JOIN params p
),
described AS (
    SELECT t.*,
           t.latest_mean - t.baseline_mean AS change,
           CASE WHEN t.months_in_baseline < 12 THEN 'no baseline figure'
                WHEN t.months_in_latest < 12 OR t.change_lower IS NULL THEN 'too few recent months'
                WHEN t.change_lower > 0 THEN 'rose'
                WHEN t.change_upper < 0 THEN 'fell'
                ELSE 'no clear change' END AS direction,
           t.lad_latest_mean - t.lad_baseline_mean AS lad_change,
           t.country_latest_mean - t.country_baseline_mean AS country_change
    FROM tested t
)
SELECT ward_code, ward_name, ward_vintage, lad_code, lad_name, indicator, label, unit, status,
       baseline_period,
       baseline_value, latest_same_month_period, latest_same_month_value,
       latest_same_month_value - baseline_value AS same_month_change,
       latest_period, latest_value,
       months_in_baseline, months_in_latest, baseline_mean, latest_mean, change,
       noise_sd, noise_changes, se_change, change_lower, change_upper, direction,
       CASE WHEN direction IN ('rose', 'fell', 'no clear change')
            THEN 'difference of 12-month means; rose/fell only if change -/+ (1.96 x SE + rounding of both means) '
                 || 'excludes 0; SE = sqrt(2) x noise_sd / sqrt(12), noise_sd = sd of the month-on-month changes '
                 || 'over the 24 months to ' || strftime(latest_period, '%B %Y') || ' / sqrt(2)' END AS test_used,
       baseline_before_uc_full_service,
       lad_baseline_mean, lad_latest_mean, lad_change,
       country_baseline_mean, country_latest_mean, country_change,
       -- Rates only (counts of a ward and its district do not compare): positive means the ward's 12-month
       -- average rate rose by more, or fell by less, than its district's.
       CASE WHEN unit = '%' THEN change - lad_change END AS change_vs_lad,
       coalesce(b_small OR l_small, b_small, l_small, false) AS small_number,
       nullif(concat_ws('; ',
           CASE WHEN months_in_baseline = 0
                THEN 'no figures for the 12 months to ' || strftime(baseline_period, '%B %Y') || ' on these ward boundaries'
                WHEN months_in_baseline < 12
                THEN 'only ' || months_in_baseline || ' of the 12 months to ' || strftime(baseline_period, '%B %Y')
                     || ' held on these ward boundaries, so no baseline average' END,
           CASE WHEN latest_period < newest_period
                THEN 'figures on these ward boundaries end in ' || strftime(latest_period, '%B %Y')
                     || ' (later months are on newer boundaries)' END,
           CASE WHEN months_in_baseline = 12 AND months_in_latest < 12
                THEN 'only ' || months_in_latest || ' of the 12 months to ' || strftime(latest_period, '%B %Y')
                     || ' held, so no latest average' END,
           CASE WHEN change_lower IS NOT NULL
                THEN 'change of 12-month averages; allowing for normal month-to-month variation (95%) and rounding '
                     || 'it could be anywhere from '
                     || CASE WHEN unit = '%'
                             THEN printf('%+.1f to %+.1f percentage points', change_lower, change_upper)
                             ELSE printf('%+.0f to %+.0f', change_lower, change_upper) END END,
           CASE WHEN baseline_before_uc_full_service
                THEN 'baseline before Universal Credit full service (December 2018): Universal Credit changed what '
                     || 'the claimant count measures (more claimants must look for work than under Jobseeker''s '
                     || 'Allowance), so a change since then partly reflects the benefit system, not only the labour '
                     || 'market'
                WHEN baseline_window_before_uc_full_service
                THEN 'the 12 months averaged for the baseline begin before Universal Credit full service (December '
                     || '2018), so the baseline partly reflects the earlier benefit system' END,
           CASE WHEN baseline_period > latest_period - INTERVAL 12 MONTH AND baseline_period <= latest_period
                THEN 'the baseline and latest 12 months overlap' END,
           CASE WHEN b_small OR l_small
                THEN 'small numbers: fewer than the small-number threshold in at least one month averaged' END,
           CASE WHEN status = 'derived' THEN 'derived rate, not an official statistic' END,
           CASE WHEN b_den_min IS NOT NULL AND l_den_min IS NOT NULL AND (b_den_min <> l_den_min OR b_den_max <> l_den_max)
                THEN 'denominators are mid-' || b_den_min || CASE WHEN b_den_max <> b_den_min THEN '/' || b_den_max ELSE '' END
                     || ' and mid-' || l_den_min || CASE WHEN l_den_max <> l_den_min THEN '/' || l_den_max ELSE '' END
                     || ' population estimates' END
       ), '') AS caveats,
       source_query_id, baseline_source_query_id, denominator_query_id, data_label
FROM described
ORDER BY lad_code, ward_name, indicator, ward_vintage;
