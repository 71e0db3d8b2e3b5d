"""How many Nomis metadata requests geography resolution (`nomis_geographies`) makes at each scale, and how long
it takes, asking district by district against listing each ward type once for the country.

    python -m benchmarks.geography_requests [--scales la,county,region,national]

Runs the real asset (a real Dagster run) against the synthetic Nomis on 127.0.0.1, whose datasets offer the
ward, LSOA and benchmark TYPEs the real ones do (claimant count and population on 2022 and 2024 wards, Census on
2022 wards, RM024 on LSOAs, survey estimates on districts). It counts the requests the sim answered; the time is
local, so it is not what the real Nomis costs: at its polite 4 requests a second, each request costs 0.25 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import dagster as dg
from unittest import mock

from benchmarks.bench import SCALES
from lmi_demo.server import UpstreamSim, serve
from lmi_demo.world import World
from lmi_pipeline.defs.geography import nomis_geographies as ng
from lmi_pipeline.defs.resources import build_resources
from lmi_pipeline.geography.areas import load_areas
from lmi_pipeline.settings import load_settings

POLITE_RPS = 4


def measure(scale: str, national_from: int) -> tuple[int, int, float]:
    """(districts, requests, seconds) for one resolution at `scale`."""
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "lmi.toml").write_text(SCALES[scale] + "\n")
        areas = load_areas(project / "lmi.toml")
        sim = UpstreamSim(World.for_districts(areas.lad_codes, areas.benchmarks))
        with serve(sim) as root, mock.patch.object(ng, "NATIONAL_WARD_LISTS_FROM", national_from):
            settings = load_settings({"LMI_SOURCE": "live", "LMI_PROJECT_DIR": str(project),
                                      "NOMIS_MAX_REQUESTS_PER_SECOND": "0", **sim.base_urls(root)})
            t = time.perf_counter()
            result = dg.materialize([ng.nomis_geographies], resources=build_resources(settings))
            seconds = time.perf_counter() - t
        assert result.success
        return len(areas.lad_codes), len(sim.log), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="la,county,region,national")
    args = parser.parse_args()
    print("| scale | districts | mode | requests | local seconds | at 4 requests/s |")
    print("|---|---|---|---|---|---|")
    for scale in args.scales.split(","):
        for mode, national_from in (("district by district", 10**9), ("as run", ng.NATIONAL_WARD_LISTS_FROM)):
            districts, requests, seconds = measure(scale, national_from)
            print(f"| {scale} | {districts} | {mode} | {requests:,} | {seconds:.1f} | {requests / POLITE_RPS:,.0f} s |",
                  flush=True)


if __name__ == "__main__":
    main()
