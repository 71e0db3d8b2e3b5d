-- One row per logical upstream query (its pages grouped): what was asked, when, and what came back.
CREATE OR REPLACE TABLE provenance AS
WITH periods AS (SELECT * FROM resolved_periods),
revised AS (SELECT query_id, string_agg(period, ', ' ORDER BY period) AS periods FROM revisions GROUP BY query_id)
SELECT
    r.query_id,
    r.source_asset,
    any_value(r.service)                                         AS service,
    any_value(r.dataset)                                         AS dataset,
    any_value(regexp_replace(r.url, '([?&])(RecordOffset|resultOffset)=[0-9]+&?', '\1'))
                                                                 AS query_url,
    any_value(r.parameters)                                      AS parameters,
    min(r.retrieved_at)                                          AS retrieved_at,
    $source_mode                                                 AS source_mode,
    CASE
        WHEN bool_or(r.origin = 'synthetic') THEN 'synthetic demo data'
        WHEN bool_or(r.origin = 'recorded')  THEN 'replayed recording of real responses'
        -- A real published file shipped with the pipeline, real in every source mode: none is today (the IoD
        -- 2025 Employment file once was; File 7 is now downloaded, and synthetic in the demo).
        WHEN bool_or(r.origin = 'bundled')   THEN 'bundled copy of published statistics'
        ELSE 'live official statistics'
    END                                                          AS data_label,
    count(*)                                                     AS pages,
    sum(r.rows)                                                  AS rows,
    sha256(string_agg(r.sha256, '' ORDER BY r.page_offset))      AS sha256,
    any_value(r.release)                                         AS release,
    any_value(p.latest_period)                                   AS latest_period,
    any_value(v.periods)                                         AS revised_periods  -- upstream changed these
FROM source_requests AS r
LEFT JOIN periods AS p ON p.query_id = r.query_id
LEFT JOIN revised AS v ON v.query_id = r.query_id
GROUP BY r.query_id, r.source_asset
ORDER BY r.source_asset, min(r.retrieved_at);
