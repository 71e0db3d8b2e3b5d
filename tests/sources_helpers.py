"""Helpers for the tests/test_sources_*.py files: partial runs, and reading what the synthetic upstream serves."""

from __future__ import annotations

import csv
import io

import dagster as dg

from lmi_demo.server import UpstreamSim
from tests.conftest import fast_resources


def materialize_upstream_of(settings, *assets: str, resources: dict | None = None, **kwargs):
    """A real Dagster run of `assets` and everything they need (no claimant history, so it is quick)."""
    from lmi_pipeline.definitions import defs

    selection = dg.AssetSelection.assets(*assets).upstream()
    return dg.materialize(list(defs().assets), selection=selection,
                          resources=resources or fast_resources(settings), **kwargs)


def nomis_id(sim: UpstreamSim, gss_code: str, type_code: int) -> str:
    return next(str(i) for i, (a, t, _) in sim.nomis.geo_index.items() if a.code == gss_code and t == type_code)


def served_rows(sim: UpstreamSim, dataset: str, **args: str) -> list[dict]:
    """The rows the synthetic Nomis serves for a data query (read straight from the emulator)."""
    status, _, body = sim.nomis.handle(f"dataset/{dataset}.data.csv", dict(args))
    assert status == 200, body[:200]
    return list(csv.DictReader(io.StringIO(body.decode())))


def served_neet(sim: UpstreamSim, data_set_id: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(sim.dfe.csv(data_set_id).decode())))
