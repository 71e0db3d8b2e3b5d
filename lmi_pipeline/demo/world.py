"""The synthetic world behind the demo: real area codes and names, made-up numbers.

Codes and names are real (ONS 2022/2023 wards for Hastings, Maidstone and Eastbourne). Every value is
synthetic demo data: plausible, deterministic, and calibrated so the county level sits near the
published East Sussex figure for November 2025 (11,415 claimants, 3.6%; England 4.0%, South East 3.1%)
and the Hastings focus wards have the highest rates, as the partnership reports.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

FIRST_MONTH = "2013-01"
DEMO_LATEST_MONTH = "2026-10"  # the demo snapshot's "latest" release month
DEMO_RELEASED = "2026-11-17 09:30:00"
POPULATION_YEARS = list(range(2011, 2025))  # small-area estimates lag: mid-2024 is the latest

# (code, name, synthetic claimant rate in Nov 2025 (%), youth share of claimants, LSOAs in the ward)
HASTINGS = [
    ("E05011201", "Ashdown", 2.6, 0.12, 3), ("E05011202", "Baird", 7.1, 0.17, 3),
    ("E05011203", "Braybrooke", 5.2, 0.15, 3), ("E05011204", "Castle", 8.3, 0.16, 4),
    ("E05011205", "Central St Leonards", 8.9, 0.16, 4), ("E05011206", "Conquest", 2.9, 0.12, 3),
    ("E05011207", "Gensing", 9.6, 0.18, 4), ("E05011208", "Hollington", 6.6, 0.18, 4),
    ("E05011209", "Maze Hill", 4.1, 0.13, 3), ("E05011210", "Old Hastings", 5.4, 0.13, 4),
    ("E05011211", "Ore", 5.0, 0.15, 3), ("E05011212", "St Helens", 2.4, 0.11, 3),
    ("E05011213", "Silverhill", 3.9, 0.14, 3), ("E05011214", "Tressell", 7.3, 0.17, 3),
    ("E05011215", "West St Leonards", 4.4, 0.15, 3), ("E05011216", "Wishing Tree", 5.6, 0.16, 3),
]
MAIDSTONE = [
    ("E05004982", "Allington", 1.7, 0.12, 5), ("E05004983", "Barming and Teston", 1.3, 0.11, 1),
    ("E05004984", "Bearsted", 1.2, 0.10, 5), ("E05004985", "Boughton Monchelsea and Chart Sutton", 1.5, 0.11, 2),
    ("E05004986", "Boxley", 1.6, 0.12, 5), ("E05004987", "Bridge", 3.1, 0.14, 3),
    ("E05004989", "Detling and Thurnham", 1.4, 0.11, 2), ("E05004990", "Downswood and Otham", 1.8, 0.12, 2),
    ("E05004991", "East", 3.0, 0.14, 5), ("E05004992", "Fant", 3.6, 0.15, 6),
    ("E05004993", "Harrietsham and Lenham", 1.9, 0.12, 4), ("E05004994", "Headcorn", 1.4, 0.11, 3),
    ("E05004995", "Heath", 3.2, 0.15, 4), ("E05004996", "High Street", 5.3, 0.15, 7),
    ("E05004997", "Leeds", 1.5, 0.10, 1), ("E05004999", "Marden and Yalding", 1.6, 0.11, 5),
    ("E05005000", "North", 2.9, 0.14, 5), ("E05005001", "North Downs", 1.1, 0.10, 1),
    ("E05005002", "Park Wood", 6.4, 0.19, 6), ("E05005003", "Shepway North", 4.6, 0.17, 6),
    ("E05005004", "Shepway South", 5.5, 0.18, 4), ("E05005006", "Staplehurst", 1.7, 0.12, 4),
    ("E05005007", "Sutton Valence and Langley", 1.4, 0.11, 2), ("E05008553", "Coxheath and Hunton", 1.8, 0.12, 5),
    ("E05008554", "Loose", 1.2, 0.10, 1), ("E05008555", "South", 2.2, 0.13, 5),
]
EASTBOURNE = [
    ("E05011574", "Devonshire", 6.8, 0.16, 6), ("E05011575", "Hampden Park", 5.1, 0.17, 5),
    ("E05011576", "Langney", 3.6, 0.16, 5), ("E05011577", "Meads", 1.9, 0.11, 5),
    ("E05011578", "Old Town", 2.4, 0.12, 5), ("E05011579", "Ratton", 1.6, 0.11, 5),
    ("E05011580", "St Anthony's", 3.9, 0.15, 5), ("E05011581", "Sovereign", 2.0, 0.13, 5),
    ("E05011582", "Upperton", 3.4, 0.14, 5),
]
# (code, name, level, Nov 2025 rate %, youth share, residents aged 16-64 in mid-2024)
BENCHMARKS = [
    ("E92000001", "England", "country", 4.0, 0.145, 36_100_000),
    ("E12000008", "South East", "region", 3.1, 0.150, 5_780_000),
    ("E10000011", "East Sussex", "county", 3.6, 0.150, 317_083),
    ("E10000016", "Kent", "county", 3.7, 0.155, 971_000),
]
LADS = [
    ("E07000062", "Hastings", "E10000011", HASTINGS),
    ("E07000110", "Maidstone", "E10000016", MAIDSTONE),
    ("E07000061", "Eastbourne", "E10000011", EASTBOURNE),
]
REGION, COUNTRY = ("E12000008", "South East"), ("E92000001", "England")
# SYNTHETIC LSOA21 codes (E019xxxxx, beyond the real E01000001-E01035xxx range) and names ("Hastings 907A":
# MSOA numbers 9xx do not exist in these districts): the number of LSOAs per ward is real, the codes are not.
SYNTHETIC_LSOA_PREFIX = "E019"
# SYNTHETIC 2024 Maidstone wards (codes E059xxxxx, clearly not real; the real May-2024 codes are not used):
# each 2023 ward continues under a new code, except that Park Wood's last two LSOAs move to Shepway South,
# Shepway South's first LSOA moves to Park Wood, and Leeds merges into Bearsted. Only used when a test
# builds World.default(maidstone_2024=True), to exercise a Nomis ward-vintage switch.
SYNTHETIC_WARD_PREFIX = "E059"
MAIDSTONE_2024_MOVES = {("Park Wood", 4): "Shepway South", ("Park Wood", 5): "Shepway South",
                        ("Shepway South", 0): "Park Wood", ("Leeds", 0): "Bearsted and Leeds",
                        **{("Bearsted", k): "Bearsted and Leeds" for k in range(5)}}
# The national claimant-rate shape, relative to November 2025 (JSA era, UC roll-out, COVID-19 peak, 2025 fall).
RATE_SHAPE = [
    ("2013-01", 0.95), ("2015-01", 0.62), ("2016-06", 0.50), ("2018-01", 0.55), ("2019-06", 0.70),
    ("2020-02", 0.78), ("2020-05", 1.62), ("2021-03", 1.55), ("2022-03", 1.02), ("2023-03", 0.94),
    ("2024-03", 1.02), ("2025-01", 1.08), ("2025-11", 1.00), ("2026-10", 0.97),
]


@dataclass
class Area:
    code: str
    name: str
    level: str  # ward | lad | county | region | country
    rate: float  # Nov 2025 claimant rate, %
    youth_share: float
    pop16_64: float  # mid-2024
    lad_code: str = ""
    county_code: str = ""
    region_code: str = ""
    wards: list["Area"] = field(default_factory=list)
    # Wards: the ward boundary vintages the ward exists in (empty: every vintage). LSOAs: the ward
    # they fall in (best fit) on 2022/2023 boundaries.
    vintages: tuple[int, ...] = ()
    ward_code: str = ""
    n_lsoa: int = 0  # wards: how many 2021 LSOAs they hold (real counts for the demo districts)

    def in_vintage(self, vintage: int) -> bool:
        return not self.vintages or vintage in self.vintages

    @property
    def nomis_id(self) -> int:
        return synthetic_id(self.level, self.code)


def synthetic_id(kind: str, code: str) -> int:
    """A stable made-up Nomis geography id (real ids are resolved from metadata, never hard-coded)."""
    return 1_100_000_000 + int(hashlib.sha1(f"{kind}:{code}".encode()).hexdigest()[:8], 16) % 900_000_000


def months(first: str = FIRST_MONTH, last: str = DEMO_LATEST_MONTH) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _noise(*keys: np.ndarray | int) -> np.ndarray:
    """Deterministic uniform noise in [-1, 1) from integer keys (a counter-based hash, vectorised)."""
    h = np.uint64(0x9E3779B97F4A7C15)
    acc = np.zeros(np.broadcast(*[np.asarray(k) for k in keys]).shape, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in keys:
            acc = (acc ^ np.asarray(k, dtype=np.uint64)) * h
            acc ^= acc >> np.uint64(29)
    return (acc >> np.uint64(11)).astype(np.float64) / float(1 << 53) * 2 - 1


class World:
    """Areas plus the value model. Every number it produces is synthetic demo data."""

    def __init__(self, areas: list[Area], latest_month: str = DEMO_LATEST_MONTH, lsoas: list[Area] | None = None,
                 lsoa_ward_2024: dict[str, str] | None = None):
        self.areas = areas
        self.latest_month = latest_month
        self.months = months(FIRST_MONTH, latest_month)
        # LSOAs are kept apart from `areas` (the claimant-count model's rows) and indexed after them.
        self.lsoas = lsoas if lsoas is not None else derive_lsoas(areas)
        self.lsoa_ward_2024 = lsoa_ward_2024 or {}  # LSOA code -> 2024 ward code, where it differs
        self.by_code = {a.code: a for a in areas + self.lsoas}
        self.wards = [a for a in areas if a.level == "ward"]
        self.index = {a.code: i for i, a in enumerate(areas + self.lsoas)}

    def lsoa_ward(self, lsoa: Area, vintage: int) -> str:
        """The ward an LSOA best-fits in the given boundary vintage."""
        return self.lsoa_ward_2024.get(lsoa.code, lsoa.ward_code) if vintage >= 2024 else lsoa.ward_code

    def ward_lsoas(self, ward: Area, vintage: int) -> list[Area]:
        return [s for s in self.lsoas if self.lsoa_ward(s, vintage) == ward.code]

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def default(cls, maidstone_2024: bool = False) -> "World":
        """The demo areas. `maidstone_2024` adds SYNTHETIC May-2024 Maidstone wards (see MAIDSTONE_2024_MOVES)."""
        areas: list[Area] = []
        for code, name, level, rate, ys, pop in BENCHMARKS:
            areas.append(Area(code, name, level, rate, ys, pop))
        for lad_code, lad_name, county, wards in LADS:
            lad = Area(lad_code, lad_name, "lad", 0.0, 0.0, 0.0, lad_code, county, REGION[0])
            for j, (code, name, rate, ys, n_lsoa) in enumerate(wards):
                pop = n_lsoa * 960 * (1 + 0.08 * float(_noise(j, len(lad_code))))
                lad.wards.append(Area(code, name, "ward", rate, ys, round(pop), lad_code, county, REGION[0],
                                      n_lsoa=n_lsoa))
            areas.append(lad)
            areas += lad.wards
        lsoas = derive_lsoas(areas)
        remap: dict[str, str] = {}
        if maidstone_2024:  # appended last, so every other area keeps its index (and its values)
            new_wards, remap = _maidstone_2024(areas, lsoas)
            areas += new_wards
        return cls(areas, lsoas=lsoas, lsoa_ward_2024=remap)

    @classmethod
    def national(cls, n_lads: int = 330, wards_per_lad: int = 23, latest_month: str = DEMO_LATEST_MONTH) -> "World":
        """About 7,600 wards with synthetic codes: the benchmark's national scale."""
        areas = [Area("E92000001", "England", "country", 4.0, 0.145, 36_100_000)]
        regions = [Area(f"E1200{i:04d}", f"Region {i}", "region", 3.0 + 0.2 * i, 0.15, 4_000_000) for i in range(1, 10)]
        areas += regions
        for r in range(n_lads):
            region = regions[r % 9]
            lad_code = f"E07{r + 1:06d}"
            lad = Area(lad_code, f"District {r + 1}", "lad", 0.0, 0.0, 0.0, lad_code, "", region.code)
            for w in range(wards_per_lad):
                code = f"E05{r * wards_per_lad + w + 1:06d}"
                rate = 1.0 + 8.0 * (float(_noise(r, w, 7)) + 1) / 2
                lad.wards.append(Area(code, f"Ward {r + 1}-{w + 1}", "ward", round(rate, 1), 0.15,
                                      3000 + 1500 * (float(_noise(r, w)) + 1), lad_code, "", region.code, n_lsoa=2))
            areas.append(lad)
            areas += lad.wards
        return cls(areas, latest_month)

    # -- the value model -------------------------------------------------------------------------
    @cached_property
    def month_shape(self) -> np.ndarray:
        idx = {m: i for i, m in enumerate(months(FIRST_MONTH, "2030-12"))}
        xs = [idx[m] for m, _ in RATE_SHAPE]
        ys = [v for _, v in RATE_SHAPE]
        t = np.arange(len(self.months))
        seasonal = 1 + 0.03 * np.cos(2 * np.pi * (t % 12) / 12)  # winter a little higher
        return np.interp(t, xs, ys) * seasonal

    def pop_16_64(self, area: Area, year: int) -> float:
        """Residents aged 16-64, growing slowly to mid-2024."""
        base = area.pop16_64 if area.level != "lad" else sum(w.pop16_64 for w in area.wards)
        return base * (1 - 0.004 * (2024 - year))

    @cached_property
    def claimants(self) -> dict[str, np.ndarray]:
        """Unrounded claimant counts: area x month, for 'total', '16-24' and '18-24'."""
        n_t = len(self.months)
        t = np.arange(n_t)
        total = np.zeros((len(self.areas), n_t))
        youth = np.zeros_like(total)
        years = np.array([int(m[:4]) for m in self.months]).clip(max=2024)
        pops = self.population_table("16-64", years)
        for i, a in enumerate(self.areas):
            if a.level == "lad":
                continue
            pop = pops[i]
            jitter = 1 + (0.07 if a.level == "ward" else 0.004) * _noise(i, t)
            total[i] = pop * a.rate / 100 * self.month_shape / self.month_shape[self.months.index("2025-11")] * jitter
            youth[i] = total[i] * a.youth_share * (1 + 0.15 * _noise(i, t, 3))
        for a in self.areas:
            if a.level == "lad":
                rows = [self.index[w.code] for w in a.wards]
                total[self.index[a.code]] = total[rows].sum(axis=0)
                youth[self.index[a.code]] = youth[rows].sum(axis=0)
        return {"total": total, "16-24": youth, "18-24": youth * 0.86}

    def population_table(self, band: str, years) -> np.ndarray:
        """`population` for every area (rows, in area order) and year (columns), computed array-wise."""
        years = np.asarray(years, dtype=float)
        idx = np.arange(len(self.areas))
        base = np.array([a.pop16_64 if a.level != "lad" else 0.0 for a in self.areas])
        share = {"16-64": 1.0, "16-24": 0.172, "18-24": 0.133, "all": 1.63}[band]
        tilt = 1 + 0.1 * _noise(idx, 11) if band in ("16-24", "18-24") else np.ones(len(idx))
        table = base[:, None] * (1 - 0.004 * (2024 - years))[None, :] * share * tilt[:, None]
        for a in self.areas:
            if a.level == "lad":
                table[self.index[a.code]] = table[[self.index[w.code] for w in a.wards]].sum(axis=0)
        return table

    def population(self, area: Area, year: int, band: str) -> float:
        """Mid-year residents by age band; shares of 16-64 are typical of English coastal towns."""
        share = {"16-64": 1.0, "16-24": 0.172, "18-24": 0.133, "all": 1.63}[band]
        tilt = 1 + 0.1 * float(_noise(self.index[area.code], 11)) if band in ("16-24", "18-24") else 1
        if area.level == "lad":
            return sum(self.population(w, year, band) for w in area.wards)
        return self.pop_16_64(area, year) * share * tilt


def derive_lsoas(areas: list[Area]) -> list[Area]:
    """Every district's wards' SYNTHETIC LSOAs, in area order (so the same areas give the same LSOAs)."""
    lsoas: list[Area] = []
    for lad in (a for a in areas if a.level == "lad"):
        for j, ward in enumerate(lad.wards):
            lsoas += _lsoas(ward, lad.name, j, ward.n_lsoa, len(lsoas))
    return lsoas


def _lsoas(ward: Area, lad_name: str, j: int, n: int, start: int) -> list[Area]:
    """The ward's SYNTHETIC LSOAs, sharing its residents unevenly (weights from deterministic noise)."""
    weights = 1 + 0.15 * _noise(np.arange(n) + start, 17)
    weights = weights / weights.sum()
    out = []
    for k in range(n):
        code = f"{SYNTHETIC_LSOA_PREFIX}{start + k + 1:05d}"
        rate = ward.rate * (1 + 0.1 * float(_noise(start + k, 19)))
        out.append(Area(code, f"{lad_name} {901 + j:03d}{chr(65 + k)}", "lsoa", round(rate, 2), ward.youth_share,
                        ward.pop16_64 * float(weights[k]), ward.lad_code, ward.county_code, ward.region_code,
                        ward_code=ward.code))
    return out


def _maidstone_2024(areas: list[Area], lsoas: list[Area]) -> tuple[list[Area], dict[str, str]]:
    """SYNTHETIC 2024 Maidstone wards built from the 2023 wards' LSOAs; the 2023 wards end in 2023."""
    old = [a for a in areas if a.level == "ward" and a.lad_code == "E07000110"]
    target: dict[str, str] = {}  # LSOA code -> 2024 ward name
    for w in old:
        w.vintages = (2022, 2023)
        for k, s in enumerate(x for x in lsoas if x.ward_code == w.code):
            target[s.code] = MAIDSTONE_2024_MOVES.get((w.name, k), w.name)
    names = sorted(set(target.values()))
    codes = {name: f"{SYNTHETIC_WARD_PREFIX}{i + 1:05d}" for i, name in enumerate(names)}
    by_code = {s.code: s for s in lsoas}
    new = []
    for name in names:
        members = [by_code[c] for c, n in target.items() if n == name]
        pop = sum(s.pop16_64 for s in members)
        rate = sum(s.rate * s.pop16_64 for s in members) / pop
        share = sum(s.youth_share * s.pop16_64 for s in members) / pop
        first = members[0]
        new.append(Area(codes[name], name, "ward", round(rate, 2), share, pop, first.lad_code, first.county_code,
                        first.region_code, vintages=(2024,)))
    remap = {c: codes[n] for c, n in target.items()}
    return new, remap


def round5(x: np.ndarray) -> np.ndarray:
    """DWP rounds every claimant count to the nearest 5."""
    return np.floor(np.asarray(x) / 5 + 0.5) * 5
