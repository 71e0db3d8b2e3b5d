"""The bundled geography reference: real ONS ward lookups for every ward of England and Wales.

`data/` holds the ONS Open Geography Portal lookups of December 2022 and May 2024 as ONS published them
(README.md there: origin, licence, vintage), the combined authorities of May 2024 and DfE's upper-tier
local authority codes. They let the pipeline, before any network call,

- check lmi.toml for any real district, county or region, and expand a county or region to its districts;
- build the synthetic demo upstream for any real area (lmi_pipeline/demo), in the real formats.

In live mode the ward lookups are fetched from ONS at run time; this reference only checks the
configuration, so a district created since May 2024 is named as such, not refused as a typo.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb

DATA = Path(__file__).parent / "data"
VINTAGES = (2022, 2024)
NEWEST = max(VINTAGES)
# Each lookup's columns, by what they hold (ONS names the county column CTY22 in 2022, CTYUA24 in 2024).
COLUMNS = {
    2022: dict(ward="WD22CD", ward_name="WD22NM", lad="LAD22CD", lad_name="LAD22NM", county="CTY22CD",
               county_name="CTY22NM", region="RGN22CD", region_name="RGN22NM", country="CTRY22CD",
               country_name="CTRY22NM"),
    2024: dict(ward="WD24CD", ward_name="WD24NM", lad="LAD24CD", lad_name="LAD24NM", county="CTYUA24CD",
               county_name="CTYUA24NM", region="RGN24CD", region_name="RGN24NM", country="CTRY24CD",
               country_name="CTRY24NM"),
}
COUNTY_CODES_SQL = (Path(__file__).parent / "county_codes.sql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class RefWard:
    code: str
    name: str
    vintage: int
    lad_code: str
    lad_name: str


@dataclass(frozen=True)
class RefDistrict:
    """A district (lower-tier or unitary authority) with the areas it is compared with."""

    code: str
    name: str
    kind: str  # shire district | unitary | metropolitan district | London borough | Welsh principal area
    county_code: str | None  # E10, shire districts only
    county_name: str | None
    combined_authority_code: str | None  # E47
    combined_authority_name: str | None
    region_code: str | None  # E12, England only
    region_name: str | None
    country_code: str
    country_name: str

    def parents(self) -> list[str]:
        """Every larger area it lies in: county, combined authority, region, country (those that exist)."""
        return [c for c in (self.county_code, self.combined_authority_code, self.region_code, self.country_code) if c]


class GeographyReference:
    def __init__(self, data_dir: Path = DATA):
        self.data_dir = Path(data_dir)
        con = duckdb.connect(":memory:")
        try:
            con.execute(COUNTY_CODES_SQL)
            self._load(con)
        finally:
            con.close()

    def _load(self, con: duckdb.DuckDBPyConnection) -> None:
        union = " UNION ALL ".join(
            f"SELECT {v} AS vintage, {c['ward']} AS ward_code, {c['ward_name']} AS ward_name, {c['lad']} AS lad_code, "
            f"{c['lad_name']} AS lad_name, {c['county']} AS county_code, {c['county_name']} AS county_name, "
            f"{c['region']} AS region_code, {c['region_name']} AS region_name "
            f"FROM read_csv('{self.data_dir / f'wards_{v}.csv.gz'}', all_varchar=true)"
            for v, c in COLUMNS.items())
        con.execute(f"CREATE TABLE wards AS {union}")
        con.execute(f"CREATE TABLE cauth AS SELECT * FROM read_csv('{self.data_dir / 'combined_authorities_2024.csv'}', "
                    "all_varchar=true)")
        self.wards = [RefWard(*r) for r in con.execute(
            "SELECT ward_code, ward_name, vintage, lad_code, lad_name FROM wards ORDER BY lad_code, vintage, ward_code"
        ).fetchall()]
        rows = con.execute(f"""
            SELECT DISTINCT w.lad_code, w.lad_name, district_kind(w.lad_code),
                   county_of(w.lad_code, w.county_code), CASE WHEN county_of(w.lad_code, w.county_code) IS NOT NULL
                                                              THEN w.county_name END,
                   c.CAUTH24CD, c.CAUTH24NM, nullif(w.region_code, ''), nullif(w.region_name, ''),
                   country_of(w.lad_code), country_name_of(w.lad_code)
            FROM wards w LEFT JOIN cauth c ON c.LAD24CD = w.lad_code
            WHERE w.vintage = {NEWEST} ORDER BY 1""").fetchall()
        self.districts = {r[0]: RefDistrict(*r) for r in rows}
        self.former_districts = dict(con.execute(f"""
            SELECT DISTINCT lad_code, lad_name FROM wards
            WHERE lad_code NOT IN (SELECT lad_code FROM wards WHERE vintage = {NEWEST})""").fetchall())
        # An abolished district's successor: the current district in the same region holding most of its ward names.
        self.successors = dict(con.execute(f"""
            SELECT o.lad_code, arg_max(n.lad_code, n.hits) FROM (SELECT DISTINCT lad_code, region_code FROM wards
                                                           WHERE vintage < {NEWEST}) o
            JOIN (SELECT o2.lad_code AS old, n2.lad_code, count(*) AS hits FROM wards o2 JOIN wards n2
                    ON n2.vintage = {NEWEST} AND o2.vintage < {NEWEST} AND n2.ward_name = o2.ward_name
                   AND n2.region_code = o2.region_code GROUP BY ALL) n ON n.old = o.lad_code
            WHERE o.lad_code NOT IN (SELECT lad_code FROM wards WHERE vintage = {NEWEST})
            GROUP BY 1""").fetchall())
        names: dict[str, str] = {}
        for d in self.districts.values():
            for code, name in ((d.county_code, d.county_name), (d.combined_authority_code, d.combined_authority_name),
                               (d.region_code, d.region_name), (d.country_code, d.country_name)):
                if code:
                    names[code] = name
        self.area_names = {**names, **{d.code: d.name for d in self.districts.values()}}

    # -- questions lmi.toml asks ------------------------------------------------------------------
    def name(self, code: str) -> str:
        return self.area_names.get(code, code)

    def districts_in(self, code: str) -> list[str]:
        """The current districts of a county, combined authority, region or country (a district: itself)."""
        if code in self.districts:
            return [code]
        return sorted(d.code for d in self.districts.values() if code in d.parents())

    def wards_of(self, lad_code: str) -> list[RefWard]:
        return [w for w in self.wards if w.lad_code == lad_code]

    def rows(self, vintage: int) -> list[dict]:
        """The lookup of a vintage exactly as ONS published it (every column text, blanks as "")."""
        con = duckdb.connect(":memory:")
        try:
            rel = con.execute(f"SELECT * FROM read_csv('{self.data_dir / f'wards_{vintage}.csv.gz'}', all_varchar=true)")
            cols = [c[0] for c in rel.description]
            return [{c: (v if v is not None else "") for c, v in zip(cols, r)} for r in rel.fetchall()]
        finally:
            con.close()

    def combined_authority_rows(self) -> list[dict]:
        con = duckdb.connect(":memory:")
        try:
            rel = con.execute(f"SELECT * FROM read_csv('{self.data_dir / 'combined_authorities_2024.csv'}', "
                              "all_varchar=true)")
            cols = [c[0] for c in rel.description]
            return [dict(zip(cols, r)) for r in rel.fetchall()]
        finally:
            con.close()


@cache
def reference() -> GeographyReference:
    return GeographyReference()
