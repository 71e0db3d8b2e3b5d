"""Build the demo snapshot: the pipeline's own source assets, in record mode, against the synthetic upstream.

Recording through the real clients guarantees the snapshot holds exactly the requests the pipeline
makes, in the exact upstream formats. Every response is stamped origin "synthetic", so every figure
replayed from it is labelled synthetic demo data, down to the provenance table.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import dagster as dg

from lmi_pipeline.areas import AreasError, load_areas
from lmi_pipeline.geography.reference import reference
from lmi_demo.server import UpstreamSim, serve
from lmi_demo.world import DEMO_LATEST_MONTH, World
from lmi_pipeline.settings import Settings

MANIFEST = "manifest.json"
GENERATOR_VERSION = 7  # bump when the synthetic upstream changes, so stale demo snapshots rebuild


def _fingerprint(settings: Settings) -> str:
    return hashlib.sha256(settings.areas_file.read_bytes() + str(GENERATOR_VERSION).encode()).hexdigest()[:16]


def snapshot_is_current(settings: Settings) -> bool:
    """True if the snapshot holds recordings, or a synthetic snapshot made for the current lmi.toml."""
    path = settings.snapshot_dir / MANIFEST
    if not path.exists():
        return False
    manifest = json.loads(path.read_text())
    return manifest.get("origin") != "synthetic" or manifest.get("fingerprint") == _fingerprint(settings)


def build_demo_snapshot(settings: Settings, world: World | None = None) -> Path:
    """(Re)write the synthetic snapshot for the areas in settings.areas_file. Returns the snapshot dir."""
    from lmi_pipeline.definitions import defs
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.refresh import plan_refresh

    areas = load_areas(settings.areas_file)
    if world is None:
        unknown = [c for c in areas.lad_codes + list(areas.benchmarks) if c not in reference().area_names]
        if unknown:
            raise AreasError(
                f"{settings.areas_file}: the demo cannot build {', '.join(unknown)}: the synthetic demo is built from "
                "the bundled ONS reference (every district, county, combined authority, region and country of England "
                "and Wales as of May 2024), which does not have it. It may be newer than the reference: run it live "
                "(LMI_SOURCE=live), or pick an area the reference has.")
        world = World.for_districts(areas.lad_codes, areas.benchmarks)
    sim = UpstreamSim(world)
    target = settings.snapshot_dir
    staging = Path(tempfile.mkdtemp(prefix="lmi-snapshot-"))
    try:
        with serve(sim) as root:
            urls = sim.base_urls(root)
            record = replace(settings, source_mode="record", nomis_url=urls["NOMIS_BASE_URL"],
                             ons_geo_url=urls["ONS_GEO_BASE_URL"], dfe_url=urls["DFE_BASE_URL"],
                             dfe_content_url=urls["DFE_CONTENT_URL"], nomis_uid=None,
                             nomis_max_rps=0.0,  # a local server: no pacing needed
                             snapshot_dir=staging / "snapshot", data_dir=staging / "data")
            resources = build_resources(record, record_origin="synthetic")
            definitions = defs()
            # What `lmi run` asks first (release stamps, the latest month), then every source asset and
            # whatever they need upstream (e.g. ward_lookup resolves the areas), over the same months.
            with dg.DagsterInstance.ephemeral() as instance:
                plan = plan_refresh(instance, resources["nomis"], areas.start_month,
                                    source_specs=list(definitions.resolve_all_asset_specs()), everything=True,
                                    dfe=resources["dfe"])
                sources = dg.AssetSelection.groups("sources")
                result = dg.materialize(
                    list(definitions.assets), selection=sources | sources.upstream(), instance=instance,
                    resources=resources, tags=plan.partition_tags(), raise_on_error=True,
                )
            assert result.success
        manifest = {"origin": "synthetic", "fingerprint": _fingerprint(settings), "latest_month": DEMO_LATEST_MONTH,
                    "note": "SYNTHETIC DEMO DATA from lmi_demo; real area codes, made-up values.",
                    "requests": len(sim.log)}
        (staging / "snapshot" / MANIFEST).write_text(json.dumps(manifest, indent=1))
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging / "snapshot"), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
