"""The synthetic world behind the demo: real areas from the bundled ONS reference, made-up numbers.

Area codes, names, ward boundary vintages (December 2022 and May 2024) and the hierarchy (district,
county, combined authority, region, country) are real, taken from lmi_pipeline/geography/data for
whatever districts lmi.toml names. Every value is SYNTHETIC DEMO DATA: deterministic, plausible, and
built so that indicators are only partly correlated, so wards rank differently on different measures.

The model lives at the level of 2021 LSOAs (SYNTHETIC codes E019xxxxx): each LSOA has residents, a
claimant rate, a youth share and a recent trend. Wards, in either boundary vintage, and districts are
sums of their LSOAs, so a district whose wards changed in 2023 has two consistent ward sets, related
by the LSOAs they share, as ONS's best-fit lookups relate real ones. Counties, combined authorities,
regions and countries are modelled on their own (only part of them is in the world).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cache, cached_property

import numpy as np

from lmi_pipeline.geography.reference import VINTAGES, GeographyReference, reference
from lmi_pipeline.periods import months

FIRST_MONTH = "2013-01"
DEMO_LATEST_MONTH = "2026-10"  # the demo snapshot's "latest" release month
DEMO_RELEASED = "2026-11-17 09:30:00"
POPULATION_YEARS = list(range(2011, 2025))  # small-area estimates lag: mid-2024 is the latest
SYNTHETIC_LSOA_PREFIX = "E019"  # beyond the real E01000001-E0103xxxx range: clearly not real LSOAs
# The default districts (lmi.toml): East Sussex's five and Maidstone.
DEFAULT_DISTRICTS = ("E07000061", "E07000062", "E07000063", "E07000064", "E07000065", "E07000110")
# A district's synthetic claimant rate in November 2025 (%), where the demo wants a plausible level;
# other districts get one from a hash of their code. SYNTHETIC, loosely shaped like the places.
DISTRICT_RATES = {"E07000062": 5.6, "E07000061": 4.2, "E07000063": 2.8, "E07000064": 3.0, "E07000065": 1.9,
                  "E07000110": 2.9, "E06000043": 3.6, "E08000034": 4.4, "E09000012": 6.1, "W06000015": 3.9}
# Wards the demo makes stand out (a raised latent need), so the story the partnerships tell is visible.
HOTSPOTS = {"E05011207": 1.5, "E05011205": 1.4, "E05011204": 1.2, "E05011202": 1.0, "E05011214": 1.1,
            "E05005002": 1.5, "E05011574": 1.2}
# A benchmark area's synthetic claimant rate in November 2025 (%), by level, and for a few areas a level and
# size close to the published figures (East Sussex 11,415 claimants, 3.6%; England 4.0%; South East 3.1%).
LEVEL_RATES = {"country": 4.0, "region": 3.4, "county": 3.3, "combined_authority": 4.6, "lad": 3.5}
CALIBRATED = {"E92000001": (4.0, 36_100_000), "E12000008": (3.1, 5_780_000), "E10000011": (3.6, 317_083),
              "E10000016": (3.7, 971_000), "W92000004": (3.8, 1_950_000)}
MEAN_LSOA_16_64 = 1_000  # residents aged 16-64 in a typical LSOA
# The national claimant-rate shape, relative to November 2025 (JSA era, UC roll-out, COVID-19 peak, 2025 fall).
RATE_SHAPE = [
    ("2013-01", 0.95), ("2015-01", 0.62), ("2016-06", 0.50), ("2018-01", 0.55), ("2019-06", 0.70),
    ("2020-02", 0.78), ("2020-05", 1.62), ("2021-03", 1.55), ("2022-03", 1.02), ("2023-03", 0.94),
    ("2024-03", 1.02), ("2025-01", 1.08), ("2025-11", 1.00), ("2026-10", 0.97),
]
BAND_SHARE = {"16-64": 1.0, "16-24": 0.172, "18-24": 0.133, "all": 1.63}  # residents of a band / 16-64


@dataclass
class Area:
    code: str
    name: str
    level: str  # lsoa | ward | lad | county | combined_authority | region | country
    rate: float = 0.0  # Nov 2025 claimant rate, %
    youth_share: float = 0.15
    pop16_64: float = 0.0  # mid-2024
    lad_code: str = ""
    county_code: str = ""
    ca_code: str = ""
    region_code: str = ""
    country_code: str = ""
    wards: list["Area"] = field(default_factory=list)
    vintages: tuple[int, ...] = ()  # wards: the boundary vintages the ward exists in
    ward_codes: dict[int, str] = field(default_factory=dict)  # LSOAs: the ward they best-fit, per vintage
    trend: float = 0.0  # LSOAs: change in log claimants a year, from 2024 on
    need: float = 0.0  # LSOAs: the latent need the other values are partly driven by

    def in_vintage(self, vintage: int) -> bool:
        return not self.vintages or vintage in self.vintages

    @property
    def parents(self) -> tuple[str, ...]:
        return tuple(c for c in (self.lad_code if self.level != "lad" else "", self.county_code, self.ca_code,
                                 self.region_code, self.country_code) if c)

    @property
    def ward_code(self) -> str:
        """An LSOA's ward on the oldest boundaries (the Census's)."""
        return self.ward_codes.get(min(VINTAGES), "")


def synthetic_id(kind: str, code: str) -> int:
    """A stable made-up Nomis geography id (real ids are resolved from metadata, never hard-coded)."""
    return 1_100_000_000 + int(hashlib.sha1(f"{kind}:{code}".encode()).hexdigest()[:8], 16) % 900_000_000


def code_key(code: str) -> int:
    return int(hashlib.sha1(code.encode()).hexdigest()[:12], 16)


def _noise(*keys: np.ndarray | int) -> np.ndarray:
    """Deterministic uniform noise in [-1, 1) from integer keys (a counter-based hash, vectorised)."""
    h = np.uint64(0x9E3779B97F4A7C15)
    acc = np.zeros(np.broadcast(*[np.asarray(k) for k in keys]).shape, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in keys:
            acc = (acc ^ np.asarray(k, dtype=np.uint64)) * h
            acc ^= acc >> np.uint64(29)
    return (acc >> np.uint64(11)).astype(np.float64) / float(1 << 53) * 2 - 1


def _normal(key: int, salt: int) -> float:
    """A deterministic standard normal draw (Box-Muller on two hashed uniforms)."""
    u1 = (float(_noise(key % (1 << 62), salt)) + 1) / 2 * 0.999998 + 1e-6
    u2 = (float(_noise(key % (1 << 62), salt + 1)) + 1) / 2
    return float(np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2))


class World:
    """Areas plus the value model. Every number it produces is synthetic demo data."""

    def __init__(self, areas: list[Area], lsoas: list[Area], latest_month: str = DEMO_LATEST_MONTH):
        self.areas = areas
        self.lsoas = lsoas
        self.latest_month = latest_month
        self.months = months(FIRST_MONTH, latest_month)
        self.by_code = {a.code: a for a in areas + lsoas}
        self.wards = [a for a in areas if a.level == "ward"]
        self.index = {a.code: i for i, a in enumerate(areas + lsoas)}
        # Noise is keyed on each area's code, not its row: an area gets the same numbers whatever else the
        # world holds (adding a district to lmi.toml changes no other district's figures).
        self.keys = np.array([code_key(a.code) % (1 << 40) for a in areas + lsoas], dtype=np.uint64)
        self._members = self._membership()

    def with_latest_month(self, latest_month: str) -> "World":
        """The same areas, observed up to another month (an earlier or later release)."""
        return World(self.areas, self.lsoas, latest_month)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def default(cls) -> "World":
        """The default areas of lmi.toml: East Sussex's five districts and Maidstone."""
        return cls.for_districts(DEFAULT_DISTRICTS)

    @classmethod
    def for_districts(cls, districts, benchmarks=(), ref: GeographyReference | None = None,
                      latest_month: str = DEMO_LATEST_MONTH) -> "World":
        """The world of these real districts (codes in the bundled reference), their wards in every
        vintage, their county, combined authority, region and country, and any extra benchmark areas."""
        ref = ref or reference()
        unknown = [c for c in districts if c not in ref.districts]
        if unknown:
            raise ValueError(f"not districts of the bundled ONS reference: {unknown}")
        areas: list[Area] = []
        lsoas: list[Area] = []
        parents: dict[str, tuple[str, str]] = {}  # code -> (name, level)
        for code in dict.fromkeys(districts):
            d = ref.districts[code]
            for pcode, pname, level in ((d.county_code, d.county_name, "county"),
                                        (d.combined_authority_code, d.combined_authority_name, "combined_authority"),
                                        (d.region_code, d.region_name, "region"), (d.country_code, d.country_name,
                                                                                    "country")):
                if pcode:
                    parents.setdefault(pcode, (pname, level))
            lad = Area(code, d.name, "lad", lad_code=code, county_code=d.county_code or "",
                       ca_code=d.combined_authority_code or "", region_code=d.region_code or "",
                       country_code=d.country_code)
            lad.wards, lad_lsoas = _district_wards(lad, ref, start=len(lsoas))
            areas += [lad, *lad.wards]
            lsoas += lad_lsoas
        # Nomis lists every region and country whatever is asked for; so does the synthetic one.
        regions = {d.region_code: d.region_name for d in ref.districts.values() if d.region_code}
        for code, name in sorted(regions.items()):
            parents.setdefault(code, (name, "region"))
        for code, name in (("E92000001", "England"), ("W92000004", "Wales")):
            parents.setdefault(code, (name, "country"))
        for code in benchmarks:
            if code not in parents and code not in {a.code for a in areas}:
                parents[code] = (ref.name(code), _level_of(code))
        ward_counts = _wards_under(ref)
        bench = [_benchmark(code, name, level, ward_counts.get(code, 20)) for code, (name, level) in parents.items()]
        return cls(bench + areas, lsoas, latest_month)

    @classmethod
    def national(cls, latest_month: str = DEMO_LATEST_MONTH, districts: list[str] | None = None) -> "World":
        """Every district of England and Wales (about 7,600 wards): the benchmark's national scale."""
        ref = reference()
        return cls.for_districts(districts or sorted(ref.districts), ref=ref, latest_month=latest_month)

    # -- structure -----------------------------------------------------------------------------
    def _membership(self) -> dict[str, np.ndarray]:
        """Area code -> indices (into `lsoas`) of the LSOAs it is the sum of (wards and modelled districts)."""
        out: dict[str, list[int]] = {}
        for k, s in enumerate(self.lsoas):
            for code in dict.fromkeys(s.ward_codes.values()):
                out.setdefault(code, []).append(k)
            out.setdefault(s.lad_code, []).append(k)
        return {c: np.array(v, dtype=int) for c, v in out.items()}

    def lsoa_ward(self, lsoa: Area, vintage: int) -> str:
        """The ward an LSOA best-fits in the given boundary vintage."""
        return lsoa.ward_codes[vintage]

    def ward_lsoas(self, ward: Area, vintage: int | None = None) -> list[Area]:
        return [self.lsoas[k] for k in self._members.get(ward.code, [])]

    def is_sum_of_lsoas(self, area: Area) -> bool:
        return area.code in self._members

    # -- the value model -------------------------------------------------------------------------
    @cached_property
    def month_shape(self) -> np.ndarray:
        all_months = months(FIRST_MONTH, "2030-12")
        idx = {m: i for i, m in enumerate(all_months)}
        xs = [idx[m] for m, _ in RATE_SHAPE]
        ys = [v for _, v in RATE_SHAPE]
        t = np.arange(len(self.months))
        seasonal = 1 + 0.03 * np.cos(2 * np.pi * (t % 12) / 12)  # winter a little higher
        return np.interp(t, xs, ys) * seasonal / np.interp(idx["2025-11"], xs, ys)

    def _aggregate(self, lsoa_values: np.ndarray, modelled: np.ndarray) -> np.ndarray:
        """Rows for every area (areas, then LSOAs): sums of LSOAs where an area is one, else modelled."""
        out = np.zeros((len(self.areas) + len(self.lsoas),) + lsoa_values.shape[1:])
        out[len(self.areas):] = lsoa_values
        for i, a in enumerate(self.areas):
            members = self._members.get(a.code)
            out[i] = lsoa_values[members].sum(axis=0) if members is not None else modelled[i]
        return out

    def population_table(self, band: str, years) -> np.ndarray:
        """Residents of an age band for every area (rows: areas, then LSOAs) and year (columns)."""
        years = np.asarray(years, dtype=float)
        growth = (1 - 0.004 * (2024 - years))[None, :]
        tilt = 1 + 0.12 * _noise(self.keys, 11) if band in ("16-24", "18-24") else np.ones(len(self.keys))
        lsoa = np.array([s.pop16_64 for s in self.lsoas])[:, None] * growth * BAND_SHARE[band] * tilt[len(self.areas):, None]
        own = np.array([a.pop16_64 for a in self.areas])[:, None] * growth * BAND_SHARE[band] * tilt[:len(self.areas), None]
        return self._aggregate(lsoa, own)

    def pop_16_64(self, area: Area, year: int) -> float:
        return float(self.population_table("16-64", [year])[self.index[area.code], 0])

    @cached_property
    def claimants(self) -> dict[str, np.ndarray]:
        """Unrounded claimant counts: area x month, for 'total', '16-24' and '18-24' (rows: areas, then LSOAs)."""
        years = np.array([int(m[:4]) for m in self.months]).clip(max=2024)
        pops = self.population_table("16-64", sorted(set(years.tolist())))
        year_col = np.searchsorted(sorted(set(years.tolist())), years)
        t = np.arange(len(self.months))
        since_2024 = np.clip((t - self.months.index("2024-01")) / 12, 0, None) if "2024-01" in self.months else 0 * t
        n_areas = len(self.areas)
        rows = self.areas + self.lsoas
        rate = np.array([a.rate for a in rows])[:, None]
        trend = np.array([a.trend for a in rows])[:, None]
        youth = np.array([a.youth_share for a in rows])[:, None]
        idx = np.arange(len(rows))[:, None]
        keys = self.keys[:, None]
        jitter = np.where(idx >= n_areas, 0.10, 0.004) * _noise(keys, t[None, :])
        total = pops[:, year_col] * rate / 100 * self.month_shape[None, :] * np.exp(trend * since_2024[None, :]) * (1 + jitter)
        young = total * youth * (1 + 0.12 * _noise(keys, t[None, :], 3))
        young18 = young * (0.84 + 0.06 * _noise(keys, 5))
        return {"total": self._aggregate(total[n_areas:], total[:n_areas]),
                "16-24": self._aggregate(young[n_areas:], young[:n_areas]),
                "18-24": self._aggregate(young18[n_areas:], young18[:n_areas])}

    def population(self, area: Area, year: int, band: str) -> float:
        return float(self.population_table(band, [year])[self.index[area.code], 0])


def _level_of(code: str) -> str:
    prefix = code[:3]
    return {"E10": "county", "E47": "combined_authority", "E12": "region", "E92": "country", "W92": "country",
            "K04": "country", "K02": "country", "K03": "country"}.get(prefix, "lad")


def _wards_under(ref: GeographyReference) -> dict[str, int]:
    """How many current wards each district, county, combined authority, region and country holds."""
    counts: dict[str, int] = {}
    newest = max(VINTAGES)
    by_lad: dict[str, int] = {}
    for w in ref.wards:
        if w.vintage == newest:
            by_lad[w.lad_code] = by_lad.get(w.lad_code, 0) + 1
    for code, n in by_lad.items():
        for area in (code, *ref.districts[code].parents()):
            counts[area] = counts.get(area, 0) + n
    return counts


def _benchmark(code: str, name: str, level: str, n_wards: int) -> Area:
    key = code_key(code)
    rate = LEVEL_RATES[level] * float(np.exp(0.18 * _normal(key, 1)))
    pop = n_wards * 4.6 * MEAN_LSOA_16_64
    rate, pop = CALIBRATED.get(code, (round(rate, 2), pop))
    return Area(code, name, level, rate=rate, youth_share=0.145 + 0.01 * _normal(key, 2), pop16_64=pop,
                country_code="" if level == "country" else ("W92000004" if code.startswith("W") else "E92000001"))


def _district_wards(lad: Area, ref: GeographyReference, start: int) -> tuple[list[Area], list[Area]]:
    """The district's wards in every vintage, and SYNTHETIC LSOAs that each best-fit one ward per vintage."""
    by_vintage = {v: [w for w in ref.wards_of(lad.code) if w.vintage == v] for v in VINTAGES}
    oldest = min(VINTAGES)
    base = by_vintage[oldest] or by_vintage[max(VINTAGES)]  # districts created in 2023 have no 2022 wards
    lsoas: list[Area] = []
    district_rate = DISTRICT_RATES.get(lad.code, LEVEL_RATES["lad"] * float(np.exp(0.35 * _normal(code_key(lad.code), 7))))
    for j, w in enumerate(base):
        key = code_key(w.code)
        need = _normal(key, 1) + HOTSPOTS.get(w.code, 0.0)
        n = 2 + code_key(w.code + "n") % 6
        for k in range(n):
            lkey = code_key(f"{w.code}:{k}")
            lsoa_need = need + 0.35 * _normal(lkey, 3)
            # A code fixed by the ward's place in the reference (at most 8 LSOAs a ward), so an LSOA keeps its
            # code, and its numbers, whatever else the world holds.
            code = f"{SYNTHETIC_LSOA_PREFIX}{_ward_positions(ref)[w.code] * 8 + k:05d}"
            lsoas.append(Area(
                code, f"{lad.name} {901 + j:03d}{chr(65 + k % 26)}", "lsoa",
                rate=round(float(np.clip(district_rate * np.exp(0.42 * lsoa_need + 0.18 * _normal(lkey, 4)), 0.3, 16)), 3),
                youth_share=float(np.clip(0.15 * np.exp(0.28 * _normal(lkey, 5) + 0.06 * need), 0.06, 0.32)),
                pop16_64=MEAN_LSOA_16_64 * float(np.exp(0.15 * _normal(lkey, 6))),
                lad_code=lad.code, county_code=lad.county_code, ca_code=lad.ca_code, region_code=lad.region_code,
                country_code=lad.country_code, ward_codes={oldest: w.code},
                trend=0.10 * _normal(key, 8) + 0.03 * _normal(lkey, 9), need=lsoa_need))
    for vintage in VINTAGES:
        if vintage != oldest:
            _assign(lsoas, base, by_vintage[vintage], oldest, vintage)
    wards: dict[str, Area] = {}
    for vintage in VINTAGES:
        for w in by_vintage[vintage]:
            if w.code in wards:
                wards[w.code].vintages += (vintage,)
                wards[w.code].name = w.name  # the newest name
            else:
                wards[w.code] = Area(w.code, w.name, "ward", lad_code=lad.code, county_code=lad.county_code,
                                     ca_code=lad.ca_code, region_code=lad.region_code, country_code=lad.country_code,
                                     vintages=(vintage,))
    for ward in wards.values():  # summary values, for the models that work per ward (e.g. the Census)
        members = [s for s in lsoas if ward.code in s.ward_codes.values()]
        pop = sum(s.pop16_64 for s in members)
        ward.pop16_64 = pop
        ward.rate = sum(s.rate * s.pop16_64 for s in members) / pop
        ward.youth_share = sum(s.youth_share * s.pop16_64 for s in members) / pop
    return list(wards.values()), lsoas


@cache
def _ward_positions(ref: GeographyReference) -> dict[str, int]:
    positions: dict[str, int] = {}
    for w in ref.wards:
        positions.setdefault(w.code, len(positions))
    return positions


def _tokens(name: str) -> set[str]:
    return set(re.findall(r"[a-z]+", name.lower().replace("&", " and "))) - {"and", "the", "of", "st", "with"}


def _assign(lsoas: list[Area], old, new, old_v: int, new_v: int) -> None:
    """Best-fit each LSOA to a ward of the newer vintage: a ward with the same code keeps its LSOAs; an old
    ward passes its LSOAs to the new ward whose name shares most words with it; every new ward gets at
    least one LSOA (split off the largest). SYNTHETIC: real LSOA best fits come from ONS lookups."""
    new_codes = {w.code for w in new}
    members: dict[str, list[Area]] = {w.code: [] for w in new}
    for w in old:
        mine = [s for s in lsoas if s.ward_codes[old_v] == w.code]
        if w.code in new_codes:
            target = w.code
        else:
            scored = sorted(new, key=lambda n: (-len(_tokens(n.name) & _tokens(w.name)) /
                                                max(1, len(_tokens(n.name) | _tokens(w.name))), len(members[n.code]),
                                                n.code))
            target = scored[0].code
        members[target] += mine
    for code in sorted(members, key=lambda c: c):
        if not members[code]:
            donor = max(members, key=lambda c: (len(members[c]), c))
            members[code].append(members[donor].pop())
    for code, group in members.items():
        for s in group:
            s.ward_codes[new_v] = code


def round5(x: np.ndarray) -> np.ndarray:
    """DWP rounds every claimant count to the nearest 5."""
    return np.floor(np.asarray(x) / 5 + 0.5) * 5
