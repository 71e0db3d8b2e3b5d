"""Synthetic Census 2021 tables as Nomis serves them: TS066 (NM_2083_1) and RM024 (NM_2124_1).

Layouts follow Nomis: TS066 has dimension C2021_EASTAT_20 (leaf codes 1-19, aggregates 0, 1001, 1002,
1006, 1007; labels with no space after the colons, as the API writes them); RM024 has C2021_EASTAT_7,
C_SEX and C2021_AGE_7 (2 = aged 16 to 24). As in the real bodies (tests/fixtures/nomis), GEOGRAPHY holds
the GSS code, not the Nomis id, and a C2021_* category's _CODE carries a leading underscore ("_7"; the
total "0" and aggregates such as "1001" do not). Geography types are the Census ones: 2021 LSOAs, 2022 wards,
2022 districts and counties, regions, countries. RM024 is published for LSOAs and above only (not
wards), so the pipeline's LSOA best-fit path is the one the demo exercises; a test can add the ward type.

Every count is SYNTHETIC DEMO DATA: whole numbers from a deterministic model (unemployment tracks each
area's made-up claimant rate), ward = sum of its LSOAs, district = sum of its wards.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from lmi_demo.nomis_sim import Dim, SimDataset
from lmi_demo.world import Area, World, _noise, _normal, code_key

CENSUS_RELEASED = "2023-03-28 09:30:00"
CENSUS_TYPES = {
    "lsoa": [(151, "2021 super output areas - lower layer")],
    "ward": [(153, "2022 wards")],
    "lad": [(154, "2022 local authorities: districts")],
    "county": [(155, "2022 local authorities: counties")],
    "region": [(480, "regions")],
    "country": [(499, "countries")],
}
RM024_TYPES = {level: types for level, types in CENSUS_TYPES.items() if level != "ward"}

_ACT = "Economically active (excluding full-time students)"
_STU = "Economically active and a full-time student"
_JOBS = ["Employee:Part-time", "Employee:Full-time", "Self-employed with employees:Part-time",
         "Self-employed with employees:Full-time", "Self-employed without employees:Part-time",
         "Self-employed without employees:Full-time"]
_INACTIVE = ["Retired", "Student", "Looking after home or family", "Long-term sick or disabled", "Other"]
# TS066 leaf categories 1-19, in Nomis order.
TS066_LEAVES = ([(i + 1, f"{_ACT}:In employment:{j}") for i, j in enumerate(_JOBS)] + [(7, f"{_ACT}:Unemployed")]
                + [(i + 8, f"{_STU}:In employment:{j}") for i, j in enumerate(_JOBS)] + [(14, f"{_STU}:Unemployed")]
                + [(i + 15, f"Economically inactive:{r}") for i, r in enumerate(_INACTIVE)])
TS066_AGGREGATES = {  # code: (label, leaf codes)
    0: ("Total: All usual residents aged 16 years and over", list(range(1, 20))),
    1001: (_ACT, list(range(1, 8))),
    1002: (f"{_ACT}:In employment", list(range(1, 7))),
    1006: (_STU, list(range(8, 15))),
    1007: (f"{_STU}:In employment", list(range(8, 14))),
}
EASTAT_7 = [(0, "Total"), (-8, "Does not apply"), (1, f"{_ACT}:In employment"), (2, f"{_ACT}:Unemployed"),
            (3, f"{_STU}:In employment"), (4, f"{_STU}:Unemployed"),
            (5, "Economically inactive (excluding full-time students)"), (6, "Economically inactive and a full-time student")]
AGE_7 = [(0, "Total"), (1, "Aged 15 years and under"), (2, "Aged 16 to 24 years"), (3, "Aged 25 to 34 years"),
         (4, "Aged 35 to 49 years"), (5, "Aged 50 to 64 years"), (6, "Aged 65 years and over")]
SEX = [(0, "All persons"), (1, "Female"), (2, "Male")]


def census_code_texts(codes: list[int]) -> list[str]:
    """C2021_*_CODE as Nomis writes it: "_18" for a category (TS007A age 18, TS066 status 7 is "_7"), but
    "0" for the total and the code itself for an aggregate (1001) or a negative one (-8, not seen in a real
    body)."""
    return [f"_{c}" if 0 < c < 1000 else str(c) for c in codes]
# Share of all residents by age band (codes 1-6), typical of a coastal English district.
AGE_SHARE = np.array([0.18, 0.105, 0.12, 0.18, 0.20, 0.215])


class CensusModel:
    """TS066 and RM024 counts for every area and LSOA (index = World.index)."""

    def __init__(self, world: World):
        self.world = world
        self.n = len(world.areas) + len(world.lsoas)

    def _summed(self, cells) -> np.ndarray:
        """Cells modelled for LSOAs and benchmark areas; wards (either vintage) and districts sum their LSOAs,
        as ONS builds them from smaller areas."""
        first = cells(self.world.lsoas[0], 0) if self.world.lsoas else np.zeros(1)
        out = np.zeros((self.n,) + first.shape)
        for a in self.world.lsoas + [a for a in self.world.areas if not self.world.is_sum_of_lsoas(a)]:
            out[self.world.index[a.code]] = cells(a, int(self.world.keys[self.world.index[a.code]]))
        for a in self.world.areas:
            members = self.world.ward_lsoas(a) if self.world.is_sum_of_lsoas(a) else []
            if members:
                out[self.world.index[a.code]] = sum(out[self.world.index[s.code]] for s in members)
        return out

    @cached_property
    def ts066(self) -> np.ndarray:
        """area x leaf (19) counts."""
        return self._summed(_ts066_leaves)

    @cached_property
    def rm024(self) -> np.ndarray:
        """area x sex (3) x age (7) x status (8) counts, in the order of SEX, AGE_7 and EASTAT_7.

        Wards and districts sum their LSOAs, so the published-ward path and the LSOA best-fit path give the
        same totals.
        """
        return self._summed(_rm024_cells)


def _census_rate(a: Area, i: int) -> float:
    """Census unemployment follows the claimant rate only loosely (a 2021 snapshot, another definition): a
    factor shared by the LSOAs of one 2022 ward, so wards rank differently on the Census and the claimant count."""
    shared = float(np.exp(0.35 * _normal(code_key(a.ward_code or a.code), 33)))
    return a.rate * shared * (1 + 0.15 * float(_noise(i, 33)))


def _ts066_leaves(a: Area, i: int) -> np.ndarray:
    residents = a.pop16_64 * 1.30  # usual residents aged 16+ (16-64 plus the over-65s)
    r = _census_rate(a, i)
    inactive = np.array([0.21 + 0.09 * float(_noise(i, 31)), 0.055 + 0.02 * float(_noise(i, 32)),
                         0.045 + 0.004 * r, 0.02 + 0.006 * r, 0.03 + 0.002 * r])
    students_active = 0.025
    active = 1 - inactive.sum() - students_active
    unemployed = active * (1.2 + 0.7 * r) / 100
    jobs = np.array([0.14, 0.58, 0.01, 0.04, 0.06, 0.17])
    student_jobs = np.array([0.55, 0.15, 0.0, 0.0, 0.2, 0.02])
    shares = np.concatenate([(active - unemployed) * jobs, [unemployed], students_active * 0.88 * student_jobs / 0.92,
                             [students_active * 0.12], inactive])
    return np.round(residents * shares)


def _rm024_cells(a: Area, i: int) -> np.ndarray:
    """sex x age x status for one area (status order: total, does not apply, then 1-6)."""
    residents = a.pop16_64 * 1.63
    r = _census_rate(a, i)
    u = (1.2 + 0.7 * r) / 100
    status = np.zeros((6, 8))  # age bands 1-6 x status
    status[0, 1] = 1.0  # under 16: does not apply
    youth_active = 0.52 * (1 - 0.01 * r)
    youth_unemployed = youth_active * min(0.35, 2.3 * u)
    rows = {
        1: [youth_active - youth_unemployed, youth_unemployed, 0.17, 0.025, 0.06 + 0.006 * r],
        2: [0.80 * (1 - u), 0.80 * u, 0.02, 0.002, 0.15],
        3: [0.80 * (1 - u * 0.8), 0.80 * u * 0.8, 0.005, 0.001, 0.18],
        4: [0.72 * (1 - u * 0.7), 0.72 * u * 0.7, 0.0, 0.0, 0.27],
        5: [0.10, 0.004, 0.0, 0.0, 0.88],
    }
    for band, (emp, unemp, s_emp, s_unemp, inact) in rows.items():
        status[band, 2:7] = [emp, unemp, s_emp, s_unemp, inact]
        status[band, 7] = max(0.0, 1 - sum(status[band, 2:7]))
    out = np.zeros((3, 7, 8))
    female = 0.51 + 0.01 * float(_noise(i, 41))
    for s, share in ((1, female), (2, 1 - female)):
        cells = np.round(residents * share * AGE_SHARE[:, None] * status)
        out[s, 1:, 1:] = cells[:, 1:]
    out[0] = out[1] + out[2]
    out[:, :, 0] = out[:, :, 1:].sum(axis=2)
    out[:, 0, :] = out[:, 1:, :].sum(axis=1)
    return out


def census_datasets(world: World) -> list[SimDataset]:
    model = CensusModel(world)
    leaf_codes = [c for c, _ in TS066_LEAVES]
    ts_codes = [0, 1001, 1002, *range(1, 8), 1006, 1007, *range(8, 20)]
    labels = {**{c: lab for c, lab in TS066_LEAVES}, **{c: lab for c, (lab, _) in TS066_AGGREGATES.items()}}
    eastat = Dim("C2021_EASTAT_20", ts_codes, [labels[c] for c in ts_codes], census_code_texts(ts_codes))
    # Each TS066 code as a 0/1 row over the 19 leaves, so aggregates are sums of leaves.
    weights = np.zeros((len(ts_codes), 19))
    for k, code in enumerate(ts_codes):
        parts = TS066_AGGREGATES[code][1] if code in TS066_AGGREGATES else [code]
        weights[k, [leaf_codes.index(p) for p in parts]] = 1

    def ts066_values(area_i, date_i, dims):
        value = (model.ts066[area_i] * weights[dims["C2021_EASTAT_20"]]).sum(axis=1)
        return value, np.full(len(value), "A")

    sex, age, status = (Dim("C_SEX", [c for c, _ in SEX], [n for _, n in SEX]),
                        Dim("C2021_AGE_7", [c for c, _ in AGE_7], [n for _, n in AGE_7],
                            census_code_texts([c for c, _ in AGE_7])),
                        Dim("C2021_EASTAT_7", [c for c, _ in EASTAT_7], [n for _, n in EASTAT_7],
                            census_code_texts([c for c, _ in EASTAT_7])))

    def rm024_values(area_i, date_i, dims):
        value = model.rm024[area_i, dims["C_SEX"], dims["C2021_AGE_7"], dims["C2021_EASTAT_7"]]
        return value, np.full(len(value), "A")

    note = "SYNTHETIC DEMO DATA served by lmi_demo."
    return [
        SimDataset("NM_2083_1", "TS066 - Economic activity status", ["2021"], ["2021"], [eastat], ts066_values,
                   f"Census 2021: economic activity status of usual residents aged 16 years and over. {note}",
                   geo_types=CENSUS_TYPES, released=CENSUS_RELEASED, geography_is_gss=True),
        SimDataset("NM_2124_1", "RM024 - Economic activity status by sex by age", ["2021"], ["2021"],
                   [sex, age, status], rm024_values,
                   f"Census 2021: economic activity status by sex by age. {note}",
                   geo_types=RM024_TYPES, released=CENSUS_RELEASED, geography_is_gss=True),
    ]
