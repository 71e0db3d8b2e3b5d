"""Columns of the published geography tables and the ONS lookups as fetched, in table order."""

from lmi_pipeline.metadata.model import Column
from lmi_pipeline.metadata.shared import DISTRICT, SHARED, WARD, shared

DISTRICTS_COLUMNS = (
    *DISTRICT,
    Column(name='kind', type='VARCHAR',
           description='shire district, unitary, metropolitan district, London borough or Welsh principal area'),
    *shared('county_code', 'county_name', 'combined_authority_code', 'combined_authority_name'),
    Column(name='london_part_code', type='VARCHAR',
           description='Inner or Outer London, where a lookup names it'),
    Column(name='london_part_name', type='VARCHAR',
           description='its name'),
    *shared('region_code', 'region_name', 'country_code', 'country_name'),
    Column(name='covered_because', type='VARCHAR',
           description='listed, or in county <code> / in region <code> when lmi.toml named a county or region'),
    Column(name='benchmarks', type='STRUCT("level" VARCHAR, code VARCHAR, "name" VARCHAR)[]',
           description='the areas its figures are compared with, in order, as a list of {level, code, name}'),
)

WARD_LOOKUP_COLUMNS = (
    *WARD,
    *DISTRICT,
    Column(name='lad_kind', type='VARCHAR',
           description="the district's kind (districts.kind)"),
    Column(name='county_code', type='VARCHAR',
           description="the district's county (from districts)"),
    *shared('county_name', 'combined_authority_code', 'combined_authority_name', 'region_code', 'region_name',
            'country_code', 'country_name', 'is_focus'),
    Column(name='focus_name', type='VARCHAR',
           description='the lmi.toml name the ward stands for'),
    Column(name='focus_match', type='VARCHAR',
           description='as named; same name on other boundaries; or most of its LSOAs (best fit) where the name changed with the boundaries'),
    SHARED['source_service'],
)

IOD_EMPLOYMENT_COLUMNS = (
    SHARED['lsoa_code'],
    Column(name='employment_score', type='DOUBLE',
           description="% of the working-age population involuntarily excluded from work (MHCLG's score x 100, 1 dp)"),
    Column(name='employment_rank', type='INTEGER',
           description='1 = most deprived of 33,755'),
    Column(name='employment_decile', type='INTEGER',
           description='1 = most deprived 10%'),
    Column(name='vintage', type='VARCHAR',
           description='IoD 2025'),
    Column(name='lsoa_vintage', type='INTEGER',
           description='2021'),
    Column(name='source_query_id', type='VARCHAR',
           description='its provenance row (service and origin bundled)'),
)

LSOA_WARD_LOOKUP_COLUMNS = (
    *shared('lsoa_code', 'lsoa_name'),
    Column(name='ward_code', type='VARCHAR',
           description='the ward the LSOA best-fits in that vintage'),
    *shared('ward_name', 'ward_vintage'),
    *DISTRICT,
    Column(name='source_service', type='VARCHAR',
           description='the ONS lookup, e.g. LSOA21_WD23_LAD23_EW_LU'),
    SHARED['source_query_id'],
)

WARD_VINTAGE_BRIDGE_COLUMNS = (
    SHARED['lad_code'],
    Column(name='from_ward_code', type='VARCHAR',
           description="the earlier ward's GSS code"),
    Column(name='from_ward_name', type='VARCHAR',
           description='its name'),
    Column(name='from_vintage', type='BIGINT',
           description='its boundary vintage'),
    Column(name='to_ward_code', type='VARCHAR',
           description="the later ward's GSS code"),
    Column(name='to_ward_name', type='VARCHAR',
           description='its name'),
    Column(name='to_vintage', type='BIGINT',
           description='its boundary vintage'),
    Column(name='shared_lsoas', type='BIGINT',
           description='LSOAs in both'),
    Column(name='from_lsoas', type='BIGINT',
           description='LSOAs in the earlier ward'),
    Column(name='to_lsoas', type='BIGINT',
           description='LSOAs in the later ward'),
    Column(name='share_of_from', type='DOUBLE',
           description="the share of the earlier ward's LSOAs in the later ward"),
    Column(name='share_of_to', type='DOUBLE',
           description="the share of the later ward's LSOAs in the earlier ward"),
    Column(name='relationship', type='VARCHAR',
           description='unchanged (same code), recoded (same LSOAs, new code), merged into or part of'),
    Column(name='method', type='VARCHAR',
           description='LSOA21 best fit'),
)

NOMIS_GEOGRAPHIES_COLUMNS = (
    Column(name='role', type='VARCHAR',
           description='what the id is used for'),
    Column(name='dataset', type='VARCHAR',
           description='Nomis dataset'),
    Column(name='level', type='VARCHAR',
           description='ward, lsoa, lad, county, region or country'),
    Column(name='gss_code', type='VARCHAR',
           description='GSS code'),
    Column(name='nomis_id', type='VARCHAR',
           description='Nomis geography id'),
    Column(name='nomis_name', type='VARCHAR',
           description="Nomis's name for it"),
    Column(name='type_selector', type='VARCHAR',
           description='the Nomis geography type asked for'),
    Column(name='type_name', type='VARCHAR',
           description='its name'),
    Column(name='ward_vintage', type='BIGINT',
           description='ward boundary vintage (wards only)'),
    Column(name='lad_code', type='VARCHAR',
           description='the district it belongs to'),
)

NOMIS_DATASET_COVERAGE_COLUMNS = (
    Column(name='role', type='VARCHAR',
           description='what the dataset is read for'),
    Column(name='dataset', type='VARCHAR',
           description='Nomis dataset'),
    Column(name='small_area_level', type='VARCHAR',
           description='ward, lsoa, lad, or NULL for survey data published for districts and above'),
    Column(name='outcome', type='VARCHAR',
           description='resolved, or unresolved when its geographies could not be read this run (its previous ids are kept)'),
    Column(name='problem', type='VARCHAR',
           description='why it is unresolved'),
)

ONS_WARD_LOOKUP_COLUMNS = (
    *shared('ward_code', 'ward_name'),
    Column(name='ward_vintage', type='BIGINT',
           description='year of the ward boundaries'),
    *DISTRICT,
    *shared('county_code', 'county_name', 'region_code', 'region_name', 'source_service', 'query_id'),
)

ONS_LSOA_WARD_LOOKUP_COLUMNS = (
    *shared('lsoa_code', 'lsoa_name', 'ward_code', 'ward_name'),
    Column(name='ward_vintage', type='BIGINT',
           description='year of the ward boundaries'),
    *DISTRICT,
    *shared('source_service', 'query_id'),
)

ONS_COMBINED_AUTHORITIES_COLUMNS = (
    *DISTRICT,
    *shared('combined_authority_code', 'combined_authority_name', 'source_service', 'query_id'),
)

AREAS_CONFIG_COLUMNS = (
    Column(name='areas_file', type='VARCHAR',
           description='the lmi.toml the run read'),
    Column(name='source_mode', type='VARCHAR',
           description='demo, live or record'),
    Column(name='lad_codes', type='VARCHAR[]',
           description='every district covered'),
    Column(name='counties', type='VARCHAR[]',
           description='counties named in lmi.toml'),
    Column(name='regions', type='VARCHAR[]',
           description='regions named in lmi.toml'),
    Column(name='covered_because', type='VARCHAR',
           description='why each district is covered'),
    Column(name='benchmarks', type='VARCHAR[]',
           description='extra benchmark areas named'),
    Column(name='focus_wards', type='VARCHAR',
           description='focus wards named, by district'),
    Column(name='start_month', type='VARCHAR',
           description='first claimant month fetched'),
    Column(name='baseline_month', type='VARCHAR',
           description='[analysis] baseline_month'),
    Column(name='small_number_threshold', type='BIGINT',
           description='counts under it are small numbers'),
    Column(name='youth_age_band', type='VARCHAR',
           description='[analysis] youth_age_band (16-24 or 18-24)'),
)

# table -> its columns
COLUMNS = {
    'districts': DISTRICTS_COLUMNS,
    'ward_lookup': WARD_LOOKUP_COLUMNS,
    'iod_employment': IOD_EMPLOYMENT_COLUMNS,
    'lsoa_ward_lookup': LSOA_WARD_LOOKUP_COLUMNS,
    'ward_vintage_bridge': WARD_VINTAGE_BRIDGE_COLUMNS,
    'nomis_geographies': NOMIS_GEOGRAPHIES_COLUMNS,
    'nomis_dataset_coverage': NOMIS_DATASET_COVERAGE_COLUMNS,
    'ons_ward_lookup': ONS_WARD_LOOKUP_COLUMNS,
    'ons_lsoa_ward_lookup': ONS_LSOA_WARD_LOOKUP_COLUMNS,
    'ons_combined_authorities': ONS_COMBINED_AUTHORITIES_COLUMNS,
    'areas_config': AREAS_CONFIG_COLUMNS,
}
