"""Columns of the provenance and source-state tables and of the raw upstream files, in table order."""

from lmi_pipeline.metadata.model import Column
from lmi_pipeline.metadata.shared import NOMIS_AREA, NOMIS_FIGURE, SHARED, nomis, shared

PROVENANCE_COLUMNS = (
    Column(name='query_id', type='VARCHAR',
           description="the upstream query's id (what source_query_id columns point at)"),
    SHARED['source_asset'],
    Column(name='service', type='VARCHAR',
           description='the upstream service'),
    Column(name='dataset', type='VARCHAR',
           description='upstream dataset'),
    Column(name='query_url', type='VARCHAR',
           description="the query's URL, without any key or paging offset"),
    Column(name='parameters', type='VARCHAR',
           description='its parameters (JSON)'),
    Column(name='retrieved_at', type='TIMESTAMP WITH TIME ZONE',
           description='when it was fetched (UTC)'),
    Column(name='source_mode', type='VARCHAR',
           description='demo, live or record'),
    SHARED['data_label'],
    Column(name='pages', type='BIGINT',
           description='pages fetched'),
    Column(name='rows', type='HUGEINT',
           description='rows received'),
    Column(name='sha256', type='VARCHAR',
           description='hash of the page hashes in order'),
    SHARED['release'],
    Column(name='latest_period', type='VARCHAR',
           description='what latest resolved to'),
    Column(name='revised_periods', type='VARCHAR',
           description='periods whose published figures were revised in this release'),
)

SOURCE_REQUESTS_COLUMNS = (
    Column(name='query_id', type='VARCHAR',
           description='the upstream query (provenance.query_id)'),
    SHARED['source_asset'],
    Column(name='service', type='VARCHAR',
           description='the upstream service'),
    Column(name='dataset', type='VARCHAR',
           description='upstream dataset'),
    Column(name='url', type='VARCHAR',
           description="the page's URL, without any key"),
    Column(name='parameters', type='VARCHAR',
           description='its parameters (JSON)'),
    Column(name='page_offset', type='BIGINT',
           description="the page's row offset"),
    Column(name='retrieved_at', type='TIMESTAMP WITH TIME ZONE',
           description='when it was received (UTC)'),
    Column(name='origin', type='VARCHAR',
           description='where the response came from (live, recorded, bundled ...)'),
    Column(name='rows', type='BIGINT',
           description='rows in the page'),
    Column(name='sha256', type='VARCHAR',
           description='hash of the response body'),
    SHARED['release'],
)

SOURCE_STATUS_COLUMNS = (
    SHARED['source_asset'],
    Column(name='upstream', type='VARCHAR',
           description='the upstream it reads'),
    Column(name='outcome', type='VARCHAR',
           description='this run: fresh, stale or unavailable'),
    Column(name='reason', type='VARCHAR',
           description='why it is stale or unavailable'),
    Column(name='release', type='VARCHAR',
           description='the release held'),
    Column(name='latest_period', type='VARCHAR',
           description='latest period held'),
    Column(name='route', type='VARCHAR',
           description='how it was reached, e.g. DfE public API or data catalogue'),
    Column(name='geography_level', type='VARCHAR',
           description='the smallest areas it was fetched for'),
    Column(name='last_success_at', type='TIMESTAMP WITH TIME ZONE',
           description='when it last loaded successfully'),
    Column(name='checked_at', type='TIMESTAMP WITH TIME ZONE',
           description='when this run checked it'),
    Column(name='run_id', type='VARCHAR',
           description='the Dagster run'),
)

SOURCE_AREA_HASHES_COLUMNS = (
    SHARED['source_asset'],
    Column(name='period', type='VARCHAR',
           description='the period'),
    Column(name='area', type='VARCHAR',
           description="the area's GSS code"),
    Column(name='content_hash', type='VARCHAR',
           description='fingerprint of its figures'),
    Column(name='hash_method', type='VARCHAR',
           description='how the fingerprint is computed'),
    Column(name='rows', type='BIGINT',
           description='rows fingerprinted'),
    *shared('release', 'query_id'),
    Column(name='loaded_at', type='TIMESTAMP WITH TIME ZONE',
           description='when it was loaded'),
)

SOURCE_REVISIONS_COLUMNS = (
    SHARED['source_asset'],
    Column(name='period', type='VARCHAR',
           description='the period revised'),
    Column(name='detected_at', type='TIMESTAMP WITH TIME ZONE',
           description='when the revision was found'),
    Column(name='release', type='VARCHAR',
           description='the release in which it was revised'),
    Column(name='areas_revised', type='BIGINT',
           description='areas whose figures changed'),
    Column(name='cells_changed', type='BIGINT',
           description='figures changed'),
    Column(name='cells_added', type='BIGINT',
           description='figures added'),
    Column(name='cells_removed', type='BIGINT',
           description='figures removed'),
    SHARED['query_id'],
)

OBS_STATUS_CODES_COLUMNS = (
    Column(name='code', type='VARCHAR',
           description='Nomis observation status code'),
    Column(name='label', type='VARCHAR',
           description='its meaning'),
    Column(name='is_suppressed', type='BOOLEAN',
           description='the code means the figure is suppressed'),
)

RAW_CLAIMANT_COUNT_COLUMNS = (
    *NOMIS_AREA,
    *nomis('GENDER_NAME', 'AGE', 'AGE_NAME', 'MEASURE', 'MEASURE_NAME', 'MEASURES_NAME'),
    *NOMIS_FIGURE,
)

RAW_POPULATION_COLUMNS = (
    *NOMIS_AREA,
    *nomis('GENDER_NAME', 'C_AGE', 'C_AGE_NAME', 'MEASURES_NAME'),
    *NOMIS_FIGURE,
)

RAW_CENSUS_ECONOMIC_ACTIVITY_COLUMNS = (
    *NOMIS_AREA,
    *nomis('C2021_EASTAT_20', 'C2021_EASTAT_20_NAME', 'MEASURES_NAME'),
    *NOMIS_FIGURE,
)

RAW_CENSUS_AGE_ACTIVITY_COLUMNS = (
    *NOMIS_AREA,
    *nomis('C_SEX_NAME', 'C2021_AGE_7', 'C2021_AGE_7_NAME', 'C2021_EASTAT_7', 'C2021_EASTAT_7_NAME', 'MEASURES_NAME'),
    *NOMIS_FIGURE,
)

RAW_APS_COLUMNS = (
    *NOMIS_AREA,
    *nomis('VARIABLE', 'VARIABLE_NAME', 'MEASURES', 'MEASURES_NAME'),
    *NOMIS_FIGURE,
)

RAW_MODEL_UNEMPLOYMENT_COLUMNS = (
    *NOMIS_AREA,
    *nomis('ITEM', 'ITEM_NAME', 'MEASURES', 'MEASURES_NAME'),
    *NOMIS_FIGURE,
)

# table -> its columns
COLUMNS = {
    'provenance': PROVENANCE_COLUMNS,
    'source_requests': SOURCE_REQUESTS_COLUMNS,
    'source_status': SOURCE_STATUS_COLUMNS,
    'source_area_hashes': SOURCE_AREA_HASHES_COLUMNS,
    'source_revisions': SOURCE_REVISIONS_COLUMNS,
    'obs_status_codes': OBS_STATUS_CODES_COLUMNS,
    'raw_claimant_count': RAW_CLAIMANT_COUNT_COLUMNS,
    'raw_population': RAW_POPULATION_COLUMNS,
    'raw_census_economic_activity': RAW_CENSUS_ECONOMIC_ACTIVITY_COLUMNS,
    'raw_census_age_activity': RAW_CENSUS_AGE_ACTIVITY_COLUMNS,
    'raw_aps': RAW_APS_COLUMNS,
    'raw_model_unemployment': RAW_MODEL_UNEMPLOYMENT_COLUMNS,
}
