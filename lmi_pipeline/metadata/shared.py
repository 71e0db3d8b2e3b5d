"""Shared columns: described once, the same in every published table that has them."""

from lmi_pipeline.metadata.model import Column

SHARED = {column.name: column for column in (
    Column(name='ward_code', type='VARCHAR',
           description='ward GSS code (E05.../W05...)'),
    Column(name='ward_name', type='VARCHAR',
           description='ward name (ONS)'),
    Column(name='ward_vintage', type='BIGINT',
           description='year of the ward boundaries the figure uses'),
    Column(name='lad_code', type='VARCHAR',
           description='local authority district GSS code'),
    Column(name='lad_name', type='VARCHAR',
           description='district name'),
    Column(name='is_focus', type='BOOLEAN',
           description='a focus ward named in lmi.toml'),
    Column(name='indicator', type='VARCHAR',
           description='indicator name (see indicator_catalogue)'),
    Column(name='data_label', type='VARCHAR',
           description='synthetic demo data / replayed recording of real responses / live official statistics / bundled copy of published statistics (a real file shipped with the code, e.g. IoD 2025)'),
    Column(name='source_query_id', type='VARCHAR',
           description='provenance.query_id of the upstream query the figure came from'),
    Column(name='denominator_query_id', type='VARCHAR',
           description="provenance.query_id of the denominator's query"),
    Column(name='release', type='VARCHAR',
           description='the upstream release stamp'),
    Column(name='retrieved_at', type='TIMESTAMP WITH TIME ZONE',
           description='when the upstream response was fetched (UTC)'),
    Column(name='unit', type='VARCHAR',
           description="'%' or 'claimants'"),
    Column(name='label', type='VARCHAR',
           description='indicator label'),
)}
