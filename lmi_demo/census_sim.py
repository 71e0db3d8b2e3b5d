"""Synthetic Census 2021 tables as Nomis serves them: TS066 (NM_2083_1), RM024 (NM_2124_1), and TS067
qualifications (NM_2084_1), TS060 industry (NM_2077_1) and TS063 occupation (NM_2080_1).

Layouts follow Nomis: TS066 has dimension C2021_EASTAT_20 (leaf codes 1-19, aggregates 0, 1001, 1002,
1006, 1007; labels with no space after the colons, as the API writes them); RM024 has C2021_EASTAT_7,
C_SEX and C2021_AGE_7 (2 = aged 16 to 24). As in the real bodies (tests/fixtures/nomis), GEOGRAPHY holds
the GSS code, not the Nomis id, and a C2021_* category's _CODE carries a leading underscore ("_7"; the
total "0" and aggregates such as "1001" do not). Geography types are the Census ones: 2021 LSOAs, 2022 wards,
2022 districts and counties, regions, countries. RM024 is published for LSOAs and above only (not
wards), so the pipeline's LSOA best-fit path is the one the demo exercises; a test can add the ward type.

TS067 (C2021_HIQUAL_8: total 0, categories 1-7), TS063 (C2021_OCC_10: total 0, SOC 2020 major groups 1-9 labelled
"1. Managers, ...") and TS060 (C2021_IND_88: total 0, detailed categories labelled with their SIC 2007 division
number, "47 Retail trade, ...", plus section aggregates 1001-1021 labelled "A: ...", "G: ...", as in the Nomis
bulk files; the aggregates' codes are unverified, and only a few detailed categories of each section are served)
are on the same types as TS066. Their totals are
TS066's residents aged 16+ (TS067) and those in employment (TS060, TS063), so the tables agree with each other.

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
QUALIFICATIONS = [(0, "Total: All usual residents aged 16 years and over"), (1, "No qualifications"),
                  (2, "Level 1 and entry level qualifications"), (3, "Level 2 qualifications"), (4, "Apprenticeship"),
                  (5, "Level 3 qualifications"), (6, "Level 4 qualifications or above"), (7, "Other qualifications")]
OCCUPATIONS = [(0, "Total: All usual residents aged 16 years and over in employment the week before the census"),
               (1, "1. Managers, directors and senior officials"), (2, "2. Professional occupations"),
               (3, "3. Associate professional and technical occupations"),
               (4, "4. Administrative and secretarial occupations"), (5, "5. Skilled trades occupations"),
               (6, "6. Caring, leisure and other service occupations"), (7, "7. Sales and customer service occupations"),
               (8, "8. Process, plant and machine operatives"), (9, "9. Elementary occupations")]
# TS060: a shortened list of detailed categories (real SIC 2007 divisions; Nomis has 87), by section, with the
# section's share of residents in employment (roughly England's in 2021).
INDUSTRY_SECTIONS = [
    ("A", "Agriculture, Forestry and fishing", 0.008,
     ["01 Crop and animal production, hunting and related service activities", "02 Forestry and logging"]),
    ("B", "Mining and quarrying", 0.002, ["08 Other mining and quarrying"]),
    ("C", "Manufacturing", 0.075, ["10 Manufacture of food products", "25 Manufacture of fabricated metal products, "
                                   "except machinery and equipment", "32 Other manufacturing"]),
    ("D", "Electricity, gas, steam and air conditioning supply", 0.006,
     ["35 Electricity, gas, steam and air conditioning supply"]),
    ("E", "Water supply; sewerage, waste management and remediation activities", 0.007,
     ["38 Waste collection, treatment and disposal activities; materials recovery"]),
    ("F", "Construction", 0.087,
     ["41 Construction of buildings; 42 Civil engineering; 43 Specialised construction activities"]),
    ("G", "Wholesale and retail trade; repair of motor vehicles and motorcycles", 0.150,
     ["45 Wholesale and retail trade and repair of motor vehicles and motorcycles",
      "46 Wholesale trade, except of motor vehicles and motorcycles",
      "47 Retail trade, except of motor vehicles and motorcycles"]),
    ("H", "Transport and storage", 0.050, ["49 Land transport and transport via pipelines",
                                           "52 Warehousing and support activities for transportation"]),
    ("I", "Accommodation and food service activities", 0.050,
     ["55 Accommodation", "56 Food and beverage service activities"]),
    ("J", "Information and communication", 0.045, ["62 Computer programming, consultancy and related activities"]),
    ("K", "Financial and insurance activities", 0.040,
     ["64 Financial service activities, except insurance and pension funding"]),
    ("L", "Real estate activities", 0.015, ["68 Real estate activities"]),
    ("M", "Professional, scientific and technical activities", 0.065, ["69 Legal and accounting activities"]),
    ("N", "Administrative and support service activities", 0.050, ["78 Employment activities",
                                                                 "81 Services to buildings and landscape activities"]),
    ("O", "Public administration and defence; compulsory social security", 0.065,
     ["84 Public administration and defence; compulsory social security"]),
    ("P", "Education", 0.095, ["85 Education"]),
    ("Q", "Human health and social work activities", 0.145,
     ["86 Human health activities", "87 Residential care activities", "88 Social work activities without accommodation"]),
    ("R", "Arts, entertainment and recreation", 0.020, ["93 Sports activities and amusement and recreation activities"]),
    ("S", "Other service activities", 0.022, ["96 Other personal service activities"]),
    ("T", "Activities of households as employers", 0.002,
     ["97 Activities of households as employers of domestic personnel"]),
    ("U", "Activities of extraterritorial organisations and bodies", 0.001,
     ["99 Activities of extraterritorial organisations and bodies"]),
]
INDUSTRY_TOTAL = "Total: All usual residents aged 16 years and over in employment the week before the census"
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
    def ts067(self) -> np.ndarray:
        """area x qualification category (1-7) counts."""
        return self._summed(_ts067_cells)

    @cached_property
    def ts063(self) -> np.ndarray:
        """area x SOC major group (1-9) counts."""
        return self._summed(_ts063_cells)

    @cached_property
    def ts060(self) -> np.ndarray:
        """area x detailed industry category counts, in INDUSTRY_SECTIONS order."""
        return self._summed(_ts060_cells)

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


def _split(total: float, shares: np.ndarray) -> np.ndarray:
    """Whole counts in proportion to `shares` that add up to round(total) (largest remainders)."""
    want = round(total) * shares / shares.sum()
    out = np.floor(want)
    short = int(round(total) - out.sum())
    out[np.argsort(out - want)[:short]] += 1
    return out


def _employed(a: Area, i: int) -> tuple[float, float]:
    """TS066's residents aged 16+ and those in employment (students included), for the other tables' totals."""
    leaves = _ts066_leaves(a, i)
    return float(leaves.sum()), float(leaves[0:6].sum() + leaves[7:13].sum())


def _ts067_cells(a: Area, i: int) -> np.ndarray:
    residents, _ = _employed(a, i)
    r = _census_rate(a, i)
    # Fewer degrees and more people without qualifications where (made-up) unemployment is high.
    shares = np.array([0.16 + 0.012 * r, 0.095, 0.135, 0.055 + 0.01 * float(_noise(i, 61)), 0.165,
                       max(0.12, 0.36 - 0.025 * r + 0.05 * float(_noise(i, 62))), 0.028])
    return _split(residents, shares)


def _ts063_cells(a: Area, i: int) -> np.ndarray:
    _, employed = _employed(a, i)
    r = _census_rate(a, i)
    tilt = 0.02 * (r - 3)  # from the professions towards elementary and caring jobs as unemployment rises
    shares = np.array([0.125 - tilt, 0.20 - 1.5 * tilt, 0.14 - 0.5 * tilt, 0.095, 0.10, 0.095 + tilt, 0.075,
                       0.065 + 0.5 * tilt, 0.105 + 1.5 * tilt + 0.01 * float(_noise(i, 63))])
    return _split(employed, np.clip(shares, 0.01, None))


def _ts060_cells(a: Area, i: int) -> np.ndarray:
    _, employed = _employed(a, i)
    shares = []
    for k, (_, _, share, leaves) in enumerate(INDUSTRY_SECTIONS):
        section = share * (1 + 0.15 * float(_noise(i, 70 + k)))
        shares += [section / len(leaves)] * len(leaves)
    return _split(employed, np.array(shares))


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
    qual = Dim("C2021_HIQUAL_8", [c for c, _ in QUALIFICATIONS], [n for _, n in QUALIFICATIONS],
               census_code_texts([c for c, _ in QUALIFICATIONS]))
    occ = Dim("C2021_OCC_10", [c for c, _ in OCCUPATIONS], [n for _, n in OCCUPATIONS],
              census_code_texts([c for c, _ in OCCUPATIONS]))
    leaf_labels = [leaf for *_, leaves in INDUSTRY_SECTIONS for leaf in leaves]
    leaf_section = np.array([k for k, (*_, leaves) in enumerate(INDUSTRY_SECTIONS) for _ in leaves])
    # Nomis order: the total, then each section aggregate followed by its detailed categories.
    ind_codes, ind_labels, ind_rows = [0], [INDUSTRY_TOTAL], [np.ones(len(leaf_labels))]
    leaf_no = 0
    for k, (letter, name, _, leaves) in enumerate(INDUSTRY_SECTIONS):
        ind_codes.append(1001 + k)
        ind_labels.append(f"{letter}: {name}")
        ind_rows.append((leaf_section == k).astype(float))
        for leaf in leaves:
            leaf_no += 1
            ind_codes.append(leaf_no)
            ind_labels.append(leaf)
            ind_rows.append(np.eye(len(leaf_labels))[leaf_no - 1])
    ind = Dim("C2021_IND_88", ind_codes, ind_labels, census_code_texts(ind_codes))
    ind_weights = np.array(ind_rows)

    def with_total(cells: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Code 0 is the total of the categories; code k the k-th category."""
        full = np.concatenate([cells.sum(axis=1, keepdims=True), cells], axis=1)
        return full[np.arange(len(pos)), pos]

    def ts067_values(area_i, date_i, dims):
        value = with_total(model.ts067[area_i], dims["C2021_HIQUAL_8"])
        return value, np.full(len(value), "A")

    def ts063_values(area_i, date_i, dims):
        value = with_total(model.ts063[area_i], dims["C2021_OCC_10"])
        return value, np.full(len(value), "A")

    def ts060_values(area_i, date_i, dims):
        value = (model.ts060[area_i] * ind_weights[dims["C2021_IND_88"]]).sum(axis=1)
        return value, np.full(len(value), "A")

    return [
        SimDataset("NM_2084_1", "TS067 - Highest level of qualification", ["2021"], ["2021"], [qual], ts067_values,
                   f"Census 2021: highest level of qualification of usual residents aged 16 years and over. {note}",
                   geo_types=CENSUS_TYPES, released=CENSUS_RELEASED, geography_is_gss=True),
        SimDataset("NM_2077_1", "TS060 - Industry", ["2021"], ["2021"], [ind], ts060_values,
                   f"Census 2021: industry of usual residents aged 16 years and over in employment. {note}",
                   geo_types=CENSUS_TYPES, released=CENSUS_RELEASED, geography_is_gss=True),
        SimDataset("NM_2080_1", "TS063 - Occupation", ["2021"], ["2021"], [occ], ts063_values,
                   f"Census 2021: occupation of usual residents aged 16 years and over in employment. {note}",
                   geo_types=CENSUS_TYPES, released=CENSUS_RELEASED, geography_is_gss=True),
        SimDataset("NM_2083_1", "TS066 - Economic activity status", ["2021"], ["2021"], [eastat], ts066_values,
                   f"Census 2021: economic activity status of usual residents aged 16 years and over. {note}",
                   geo_types=CENSUS_TYPES, released=CENSUS_RELEASED, geography_is_gss=True),
        SimDataset("NM_2124_1", "RM024 - Economic activity status by sex by age", ["2021"], ["2021"],
                   [sex, age, status], rm024_values,
                   f"Census 2021: economic activity status by sex by age. {note}",
                   geo_types=RM024_TYPES, released=CENSUS_RELEASED, geography_is_gss=True),
    ]
