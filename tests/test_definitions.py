"""The code location loads, with the layers, job and resources a user sees in the UI."""

import dagster as dg

from lmi_pipeline.definitions import defs


def test_definitions_load():
    d = defs()
    dg.Definitions.validate_loadable(d)
    job = d.resolve_job_def("lmi_refresh")
    assert job is not None
    groups = {spec.key.to_user_string(): spec.group_name for spec in d.resolve_all_asset_specs()}
    assert groups["raw_claimant_count"] == "sources"
    assert groups["claimant_count"] == "warehouse"
    assert groups["ward_indicators"] == "indicators"
    assert groups["published_database"] == "publish"
    assert set(d.resources) >= {"nomis", "ons_geo", "warehouse", "project"}


def test_every_asset_is_described():
    for spec in defs().resolve_all_asset_specs():
        assert spec.description and len(spec.description) > 40, spec.key
