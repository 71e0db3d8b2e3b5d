-- LMI gap mapping by need: one row per place (each focus ward, each configured district) x need in lmi_needs,
-- with one status saying what a partnership can do about it, best first:
--   held                  a figure for the place itself (held_status: official, computed, derived or proxy);
--   not_available_this_run its source failed this run and nothing is held from an earlier one;
--   published_not_loaded  an open source publishes it for places this small, but lmi-pipeline does not load it
--                         (source_to_add names it);
--   free_key              published for places this small behind a free key (e.g. DWP Stat-Xplore);
--   licensed_only         published for places this small only under a licence (e.g. job postings);
--   larger_area_only      held, or published, only for a larger area (available_level: lad, county, region,
--                         country): context, not the place's own figure;
--   not_published         no published LMI answers it for the place: a line of enquiry for primary research.
-- Reads lmi_needs and lmi_gaps only, so a need or source added to needs.toml appears with no change here.
CREATE OR REPLACE TABLE lmi_need_gaps AS
WITH places AS (
    SELECT DISTINCT place_level, place_code, place_name, lad_code, lad_name, as_of FROM lmi_gaps
),
needs AS (
    SELECT DISTINCT need_position, need_id, need_label, question, indicators, not_published_for_small_areas, why
    FROM lmi_needs
),
-- How small an area each geography is: a source covers a place when it is published for areas at least as small
-- (LSOAs and MSOAs build wards by best fit, so they count as ward-sized).
geography_rank(geography, size) AS (
    VALUES ('lsoa', 1), ('ward', 1), ('msoa', 1), ('lad', 2), ('county', 3), ('region', 4), ('country', 5), ('none', 9)
),
place_size(place_level, size) AS (VALUES ('ward', 1), ('lad', 2)),
figures AS (  -- each need's indicators for each place, as the gap matrix found them, best first
    SELECT n.need_id, g.*, list_position(n.indicators, g.indicator) AS listed_at,
           CASE WHEN g.coverage = 'available' THEN CASE g.figure_status WHEN 'official' THEN 1 WHEN 'computed' THEN 2
                                                                        WHEN 'derived' THEN 3 ELSE 4 END
                WHEN g.coverage = 'proxy' THEN 5
                WHEN g.coverage = 'ward_other_boundaries' THEN 6
                WHEN g.coverage = 'lad_only' THEN 7 WHEN g.coverage = 'county_only' THEN 8
                WHEN g.coverage = 'region_only' THEN 9 WHEN g.coverage = 'country_only' THEN 10
                WHEN g.coverage = 'not_available_this_run' THEN 11 ELSE 12 END AS quality
    FROM needs n JOIN lmi_gaps g ON list_contains(n.indicators, g.indicator)
),
best AS (
    SELECT * FROM figures
    QUALIFY row_number() OVER (PARTITION BY need_id, place_level, place_code
                               ORDER BY quality, listed_at, indicator) = 1
),
sources AS (  -- each need's sources against each place's size
    SELECT p.place_level, p.place_code, s.need_id, s.need_position AS position, s.publisher, s.dataset, s.dataset_id,
           s.lowest_geography, s.access, s.loaded, s.url, s.latest_period AS source_latest_period, s.cadence,
           r.size <= z.size AS covers_place, r.size AS source_size
    FROM lmi_needs s
    JOIN geography_rank r ON r.geography = s.lowest_geography
    CROSS JOIN places p JOIN place_size z ON z.place_level = p.place_level
    WHERE s.dataset_id IS NOT NULL
),
options AS (  -- per need and place: the first source of each kind that could fill the gap (needs.toml order)
    SELECT place_level, place_code, need_id,
           arg_min(dataset || ' (' || publisher || ', ' || dataset_id || ')', source_size)
               FILTER (WHERE covers_place AND access = 'open' AND NOT loaded) AS open_unloaded,
           arg_min(url, source_size) FILTER (WHERE covers_place AND access = 'open' AND NOT loaded) AS open_unloaded_url,
           arg_min(lowest_geography, source_size)
               FILTER (WHERE covers_place AND access = 'open' AND NOT loaded) AS open_unloaded_geography,
           arg_min(dataset || ' (' || publisher || ', ' || dataset_id || ')', source_size)
               FILTER (WHERE covers_place AND access = 'free_key') AS free_key,
           arg_min(url, source_size) FILTER (WHERE covers_place AND access = 'free_key') AS free_key_url,
           arg_min(dataset || ' (' || publisher || ')', source_size)
               FILTER (WHERE covers_place AND access = 'licensed') AS licensed,
           arg_min(url, source_size) FILTER (WHERE covers_place AND access = 'licensed') AS licensed_url,
           -- Published only for larger areas (loaded or not): the smallest of them.
           arg_min(lowest_geography, source_size) FILTER (WHERE NOT covers_place AND source_size < 9) AS larger_geography,
           arg_min(dataset || ' (' || dataset_id || ')' || CASE WHEN loaded THEN '' ELSE ', not loaded here' END,
                   source_size) FILTER (WHERE NOT covers_place AND source_size < 9) AS larger_source
    FROM sources GROUP BY ALL
),
matrix AS (
    SELECT p.place_level, p.place_code, p.place_name, p.lad_code, p.lad_name, n.need_position, n.need_id,
           n.need_label, n.question, n.not_published_for_small_areas, n.why,
           b.indicator, b.label AS indicator_label, b.coverage, b.figure_status, b.available_level,
           b.available_area_name, b.latest_period, b.next_release_due, b.is_stale, b.is_dated, b.limits,
           b.source_problem, b.data_label,
           o.open_unloaded, o.open_unloaded_url, o.open_unloaded_geography, o.free_key, o.free_key_url,
           o.licensed, o.licensed_url, o.larger_geography, o.larger_source, p.as_of
    FROM places p CROSS JOIN needs n
    LEFT JOIN best b ON b.need_id = n.need_id AND b.place_level = p.place_level AND b.place_code = p.place_code
    LEFT JOIN options o ON o.need_id = n.need_id AND o.place_level = p.place_level AND o.place_code = p.place_code
),
statused AS (
    SELECT *,
           CASE WHEN coverage IN ('available', 'proxy') THEN 'held'
                WHEN coverage = 'not_available_this_run' THEN 'not_available_this_run'
                WHEN open_unloaded IS NOT NULL THEN 'published_not_loaded'
                WHEN free_key IS NOT NULL THEN 'free_key'
                WHEN licensed IS NOT NULL THEN 'licensed_only'
                WHEN coverage IN ('ward_other_boundaries', 'lad_only', 'county_only', 'region_only', 'country_only')
                  OR larger_geography IS NOT NULL THEN 'larger_area_only'
                ELSE 'not_published' END AS status
    FROM matrix
)
SELECT place_level, place_code, place_name, lad_code, lad_name, need_position, need_id, need_label, question,
       status,
       CASE status WHEN 'held' THEN coalesce(figure_status, 'official') END AS held_status,
       CASE WHEN status = 'larger_area_only' THEN
            coalesce(CASE coverage WHEN 'ward_other_boundaries' THEN 'ward (other boundaries)'
                                   WHEN 'lad_only' THEN 'lad' WHEN 'county_only' THEN 'county'
                                   WHEN 'region_only' THEN 'region' WHEN 'country_only' THEN 'country' END,
                     larger_geography)
            WHEN status = 'held' THEN place_level END AS available_level,
       CASE WHEN coverage IN ('available', 'proxy', 'ward_other_boundaries', 'lad_only', 'county_only',
                              'region_only', 'country_only') THEN indicator END AS indicator,
       CASE WHEN coverage IN ('available', 'proxy', 'ward_other_boundaries', 'lad_only', 'county_only',
                              'region_only', 'country_only') THEN indicator_label END AS indicator_label,
       CASE WHEN coverage IN ('ward_other_boundaries', 'lad_only', 'county_only', 'region_only', 'country_only')
            THEN available_area_name END AS available_area_name,
       CASE status WHEN 'published_not_loaded' THEN open_unloaded WHEN 'free_key' THEN free_key
                   WHEN 'licensed_only' THEN licensed
                   WHEN 'larger_area_only' THEN CASE WHEN indicator IS NULL OR coverage NOT IN
                       ('ward_other_boundaries', 'lad_only', 'county_only', 'region_only', 'country_only')
                       THEN larger_source END END AS source_to_add,
       CASE status WHEN 'published_not_loaded' THEN open_unloaded_url WHEN 'free_key' THEN free_key_url
                   WHEN 'licensed_only' THEN licensed_url END AS source_url,
       CASE WHEN status IN ('held', 'larger_area_only') THEN latest_period END AS latest_period,
       CASE WHEN status IN ('held', 'larger_area_only') THEN next_release_due END AS next_release_due,
       coalesce(status IN ('held', 'larger_area_only') AND is_stale, false) AS is_stale,
       coalesce(status IN ('held', 'larger_area_only') AND is_dated, false) AS is_dated,
       CASE status
            WHEN 'held' THEN 'Held' || CASE WHEN is_stale THEN ': a newer release was due; refresh it' ELSE '' END
            WHEN 'not_available_this_run' THEN 'Its source failed this run: ' || coalesce(source_problem, 'see source_status')
            WHEN 'published_not_loaded' THEN 'Add the source: ' || open_unloaded || ' publishes it for '
                 || CASE open_unloaded_geography WHEN 'lad' THEN 'districts' WHEN 'lsoa' THEN 'LSOAs (wards by best fit)'
                                                 WHEN 'msoa' THEN 'MSOAs' ELSE open_unloaded_geography || 's' END
                 || ', openly'
            WHEN 'free_key' THEN 'Register for a free key and load ' || free_key
            WHEN 'licensed_only' THEN 'Licensed data only: ' || licensed || '; ask a partner who holds a licence'
            WHEN 'larger_area_only' THEN 'Only for a larger area; use it as context and research the place itself'
            ELSE 'No published LMI answers it here: a line of enquiry for primary research'
       END AS what_to_do,
       CASE WHEN status IN ('not_published', 'larger_area_only') THEN why END AS why_not_published,
       limits, data_label, as_of
FROM statused
ORDER BY place_level DESC, lad_code, place_name, need_position;
