"""Synthetic labour demand as Nomis serves it: BRES open access (NM_189_1) and UK Business Counts local units
(NM_141_1), annual, for wards (2022 and 2024 ward types, as the claimant count), districts and benchmarks.

Layout as in the real Kirklees bodies (tests/fixtures/nomis): GEOGRAPHY holds the GSS code; BRES has
INDUSTRY (37748736 "Total", type "industry"), EMPLOYMENT_STATUS (1 "Employees", type "Employment"), MEASURE
(1 "Count", 2 "Industry percentage", type "percent") and MEASURES 20100 "Value"; UK Business Counts has
INDUSTRY, EMPLOYMENT_SIZEBAND (0 "Total", type "employment sizeband"), LEGAL_STATUS (0 "Total", type "legal
status") and MEASURES. The 18 broad industry group codes follow a public Trafford ward query
(163577857...163577874); their labels ("1 : Agriculture, forestry & fishing (A)", ...) and the size band labels
are unverified. SYNTHETIC DEMO DATA: jobs follow each area's made-up working-age population with noise
(town-centre wards have more), split over the groups by a fixed national mix with noise; counts are rounded
as BRES open access rounds them (5 below 50, 25 to 249, ..., 1,000 from 5,000), the industry percentage
computed before rounding; local units are about one for every eleven jobs, rounded to 5.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from lmi_demo.nomis_sim import Dim, SimDataset
from lmi_demo.world import World, _noise, round5

RELEASED = "2026-10-08 09:30:00"
BRES_YEARS = [str(y) for y in range(2019, 2025)]  # 2024 provisional, as on Nomis in late 2026
UBC_YEARS = [str(y) for y in range(2019, 2026)]
TOTAL = 37748736
BROAD_GROUPS = [
    "Agriculture, forestry & fishing (A)", "Mining, quarrying & utilities (B,D and E)", "Manufacturing (C)",
    "Construction (F)", "Motor trades (Part G)", "Wholesale (Part G)", "Retail (Part G)",
    "Transport & storage (inc postal) (H)", "Accommodation & food services (I)", "Information & communication (J)",
    "Financial & insurance (K)", "Property (L)", "Professional, scientific & technical (M)",
    "Business administration & support services (N)", "Public administration & defence (O)", "Education (P)",
    "Health (Q)", "Arts, entertainment, recreation & other services (R,S,T and U)",
]
# A national mix of employee jobs over the 18 groups (sums to 1; made up, roughly Great Britain's shape).
MIX = np.array([0.012, 0.012, 0.08, 0.05, 0.02, 0.04, 0.095, 0.05, 0.08, 0.045, 0.035, 0.018, 0.09, 0.09,
                0.045, 0.085, 0.135, 0.048])
STATUSES = [(1, "Employees"), (2, "Full-time employees"), (3, "Part-time employees"), (4, "Employment")]
STATUS_FACTOR = {1: 1.0, 2: 0.68, 3: 0.32, 4: 1.12}
SIZEBANDS = [(0, "Total"), (10, "Micro (0 to 9)"), (20, "Small (10 to 49)"), (30, "Medium-sized (50 to 249)"),
             (40, "Large (250+)")]
SIZE_SHARE = {0: 1.0, 10: 0.89, 20: 0.09, 30: 0.017, 40: 0.003}


def bres_round(x: np.ndarray) -> np.ndarray:
    """BRES open-access relaxed rounding (nomisweb.co.uk/articles/1103.aspx): the base grows with the count."""
    x = np.asarray(x, dtype=float)
    base = np.select([x < 50, x < 250, x < 500, x < 1000, x < 2500, x < 5000], [5, 25, 50, 100, 250, 500], 1000)
    return np.floor(x / base + 0.5) * base


class DemandModel:
    def __init__(self, world: World):
        self.world = world

    @cached_property
    def pop(self) -> np.ndarray:
        return self.world.population_table("16-64", [2024])[:, 0]

    @cached_property
    def is_ward(self) -> np.ndarray:
        return np.array([a.level == "ward" for a in self.world.areas + self.world.lsoas])

    def jobs(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Employee jobs, all industries (unrounded)."""
        k = self.world.keys[i]
        spread = np.where(self.is_ward[i], np.exp(0.7 * _noise(k, 71)), 1 + 0.2 * _noise(k, 71))
        return self.pop[i] * 0.72 * spread * (1 + 0.012 * (t - (len(BRES_YEARS) - 1))) * (1 + 0.01 * _noise(k, t, 72))

    def share(self, i: np.ndarray, group: np.ndarray) -> np.ndarray:
        """Each group's share of the area's jobs: the national mix, tilted by area (renormalised)."""
        k = self.world.keys[i]
        tilt = 1 + 0.5 * _noise(k[:, None], np.arange(18)[None, :], 73)
        shares = MIX[None, :] * tilt
        shares = shares / shares.sum(axis=1, keepdims=True)
        return shares[np.arange(len(i)), group]

    def bres(self, i, t, industry, status, measure):
        total = self.jobs(i, t) * np.vectorize(STATUS_FACTOR.get, otypes=[float])(status)
        group = np.clip(industry - 163577857, 0, 17)
        share = np.where(industry == TOTAL, 1.0, self.share(i, group))
        count = bres_round(total * share)
        value = np.where(measure == 1, count, np.round(100 * share, 1))
        return value, np.full(len(i), "A")

    def local_units(self, i, t, sizeband):
        k = self.world.keys[i]
        units = self.jobs(i, np.minimum(t, len(BRES_YEARS) - 1)) / 11 * (1 + 0.2 * _noise(k, 74))
        units = units * (1 + 0.01 * (t - (len(UBC_YEARS) - 1)))
        return round5(units * np.vectorize(SIZE_SHARE.get, otypes=[float])(sizeband)), np.full(len(i), "A")


def business_datasets(world: World) -> list[SimDataset]:
    model = DemandModel(world)
    industry = Dim("INDUSTRY", [TOTAL] + [163577857 + n for n in range(18)],
                   ["Total"] + [f"{n} : {label}" for n, label in enumerate(BROAD_GROUPS, 1)], type_text="industry")
    status = Dim("EMPLOYMENT_STATUS", [c for c, _ in STATUSES], [n for _, n in STATUSES], type_text="Employment")
    measure = Dim("MEASURE", [1, 2], ["Count", "Industry percentage"], type_text="percent")
    ubc_industry = Dim("INDUSTRY", [TOTAL], ["Total"], type_text="industry")
    sizeband = Dim("EMPLOYMENT_SIZEBAND", [c for c, _ in SIZEBANDS], [n for _, n in SIZEBANDS],
                   type_text="employment sizeband")
    legal = Dim("LEGAL_STATUS", [0], ["Total"], type_text="legal status")

    def bres_values(area_i, date_i, dims):
        return model.bres(area_i, date_i, np.array(industry.codes)[dims["INDUSTRY"]],
                          np.array(status.codes)[dims["EMPLOYMENT_STATUS"]], np.array(measure.codes)[dims["MEASURE"]])

    def ubc_values(area_i, date_i, dims):
        return model.local_units(area_i, date_i, np.array(sizeband.codes)[dims["EMPLOYMENT_SIZEBAND"]])

    note = "SYNTHETIC DEMO DATA served by lmi_demo."
    return [
        SimDataset("NM_189_1", "Business Register and Employment Survey : open access", BRES_YEARS, BRES_YEARS,
                   [industry, status, measure], bres_values,
                   f"Employee and employment estimates by workplace, rounded (open access). {note}",
                   released=RELEASED, geography_is_gss=True),
        SimDataset("NM_141_1", "UK Business Counts - local units by industry and employment size band", UBC_YEARS,
                   UBC_YEARS, [ubc_industry, sizeband, legal], ubc_values,
                   f"Local units live on the IDBR at a reference date in March. {note}", released=RELEASED,
                   geography_is_gss=True),
    ]
