"""The code location loads, with the layers, job and resources a user sees in the UI."""

import inspect

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


def test_every_asset_is_described_by_its_own_docstring():
    """The UI description is the asset function's docstring (house style), whole and not copied from another."""
    seen: dict[str, str] = {}
    for assets_def in defs().resolve_asset_graph().assets_defs:
        if not assets_def.is_executable:
            continue
        docstring = inspect.getdoc(assets_def.op.compute_fn.decorated_fn)
        for key, spec in assets_def.specs_by_key.items():
            name, description = key.to_user_string(), spec.description
            assert description, f"{name} has no description"
            # A multi-asset describes each asset in its AssetSpec, and a factory-built asset (one shared
            # function with no docstring: the Nomis sources) in its per-dataset spec.
            if len(assets_def.keys) == 1 and docstring is not None:
                assert description == docstring, f"{name}: description is not its function's docstring"
            assert description.rstrip()[-1] in ".)`", f"{name}: description stops mid-sentence: {description[-40:]!r}"
            assert description not in seen, f"{name} has the same description as {seen.get(description)}"
            seen[description] = name
    assert len(seen) == len(list(defs().resolve_all_asset_specs()))
