"""Build the demo snapshot: the pipeline's own source assets, in record mode, against the synthetic upstream.

Recording through the real clients guarantees the snapshot holds exactly the requests the pipeline
makes, in the exact upstream formats. Every response is stamped origin "synthetic", so every figure
replayed from it is labelled synthetic demo data, down to the provenance table.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import dagster as dg

from lmi_demo.server import UpstreamSim, serve
from lmi_demo.world import DEMO_LATEST_MONTH, World
from lmi_pipeline.geography.areas import AreasError, load_areas
from lmi_pipeline.geography.reference import reference
from lmi_pipeline.settings import Settings

MANIFEST = "manifest.json"
DEMO_STATXPLORE_KEY = "demo-key-for-the-synthetic-stat-xplore"  # not a secret: the local sim accepts any key
GENERATOR_VERSION = 13  # bump when the synthetic upstream changes, so stale demo snapshots rebuild


def _fingerprint(settings: Settings) -> str:
    return hashlib.sha256(settings.areas_file.read_bytes() + str(GENERATOR_VERSION).encode()).hexdigest()[:16]


class SnapshotError(RuntimeError):
    """The snapshot on disk is damaged. The message names the file and how to rebuild it."""


def _damaged(settings: Settings, path: Path, why: str) -> SnapshotError:
    return SnapshotError(
        f"{path}: {why}, so the demo snapshot in {settings.snapshot_dir} cannot be replayed. Rebuild it for lmi.toml "
        "with `lmi demo-snapshot` (or `make demo-snapshot`), which replaces that folder; or delete the folder and "
        "`lmi run` rebuilds it (recordings made with LMI_SOURCE=record are remade by a run in that mode).")


def _read_json(settings: Settings, path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise _damaged(settings, path, f"is not text (byte {exc.start})") from None
    except ValueError as exc:  # json.JSONDecodeError
        raise _damaged(settings, path, f"is not valid JSON ({exc})") from None
    except OSError as exc:
        raise _damaged(settings, path, f"cannot be read ({exc.strerror or exc})") from None
    if not isinstance(doc, dict):
        raise _damaged(settings, path, f"holds a JSON {type(doc).__name__}, not an object")
    return doc


def read_manifest(settings: Settings) -> dict | None:
    """The snapshot's manifest, or None if there is none; SnapshotError, naming it, if it is damaged."""
    path = settings.snapshot_dir / MANIFEST
    return _read_json(settings, path) if path.exists() else None


def snapshot_is_current(settings: Settings) -> bool:
    """True if the snapshot holds recordings, or a synthetic snapshot made for the current lmi.toml."""
    manifest = read_manifest(settings)
    if manifest is None:
        return False
    return manifest.get("origin") != "synthetic" or manifest.get("fingerprint") == _fingerprint(settings)


def check_snapshot(settings: Settings) -> int:
    """Before a demo run replays the snapshot: every response's metadata file is whole JSON with its body
    beside it, so a damaged one is named here, with how to rebuild, rather than failing a step with a bare
    JSONDecodeError. Returns how many responses it holds. Reads only the small metadata files."""
    read_manifest(settings)
    count = 0
    for meta in sorted(settings.snapshot_dir.glob("*/*/*.json")):  # <service>/<path slug>/<key>.json
        doc = _read_json(settings, meta)
        missing = [k for k in ("status", "content_type", "origin") if k not in doc]
        if missing:
            raise _damaged(settings, meta, f"lacks {missing}")
        body = meta.with_suffix(".body")
        if not body.is_file():
            raise _damaged(settings, meta, f"has no response body beside it ({body.name} is missing)")
        count += 1
    return count


def build_demo_snapshot(settings: Settings, world: World | None = None) -> Path:
    """(Re)write the synthetic snapshot for the areas in settings.areas_file. Returns the snapshot dir."""
    from lmi_pipeline.definitions import defs
    from lmi_pipeline.defs.jobs import observe_in_process
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.operations.console import console_logger
    from lmi_pipeline.operations.refresh import plan_refresh

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
    target.parent.mkdir(parents=True, exist_ok=True)
    # Built beside the target (same filesystem), then swapped in by rename: never a half-written snapshot
    # under its real name, and never a move across filesystems.
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-build-", dir=target.parent))
    try:
        with serve(sim) as root:
            urls = sim.base_urls(root)
            record = replace(settings, source_mode="record", nomis_url=urls["NOMIS_BASE_URL"],
                             ons_geo_url=urls["ONS_GEO_BASE_URL"], dfe_url=urls["DFE_BASE_URL"],
                             dfe_content_url=urls["DFE_CONTENT_URL"], mhclg_url=urls["MHCLG_BASE_URL"],
                             nomis_uid=None,
                             # Recorded with a stand-in key so that a demo run given any STATXPLORE_API_KEY
                             # replays UC; without one the demo asks nothing, as a live run would.
                             statxplore_url=urls["STATXPLORE_URL"], statxplore_api_key=DEMO_STATXPLORE_KEY,
                             nomis_max_rps=0.0,  # a local server: no pacing needed
                             snapshot_dir=staging / "snapshot", data_dir=staging / "data")
            resources = build_resources(record, record_origin="synthetic")
            definitions = defs()
            # What `lmi run` asks first (the release stamps it observes, the latest month), then every source
            # asset and whatever they need upstream (e.g. ward_lookup resolves the areas), over the same months.
            with dg.DagsterInstance.ephemeral() as instance:
                # A Ctrl-C here stops the build with lmi's one line (its console logger shows no stack trace).
                observe_in_process(instance, resources, raise_on_error=True, loggers={"console": console_logger()})
                plan = plan_refresh(instance, resources["nomis"], areas.start_month, everything=True,
                                    dfe=resources["dfe"])
                # Ward boundaries are fetched by a geography asset that no source asset needs: asked for by name.
                sources = dg.AssetSelection.groups("sources") | dg.AssetSelection.assets("ward_boundaries")
                # Quiet: the build is lmi's preparation, not the run the user asked for. A failure (a misspelt
                # focus ward in a new district, say) is raised and said by lmi in one message.
                result = dg.materialize(
                    list(definitions.assets), selection=sources | sources.upstream(), instance=instance,
                    resources=resources, tags=plan.partition_tags(), raise_on_error=True,
                    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
                )
            assert result.success
        manifest = {"origin": "synthetic", "fingerprint": _fingerprint(settings), "latest_month": DEMO_LATEST_MONTH,
                    "note": "SYNTHETIC DEMO DATA from lmi_demo; real area codes, made-up values.",
                    "requests": len(sim.log)}
        (staging / "snapshot" / MANIFEST).write_text(json.dumps(manifest, indent=1))
        old = staging / "previous"
        if target.exists():
            os.rename(target, old)  # a run killed between the two renames finds no snapshot and rebuilds it
        os.rename(staging / "snapshot", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
