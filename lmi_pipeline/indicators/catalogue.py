"""The indicator catalogue: one definition per indicator, kept as data in catalogue.toml and checked here.

A new source adds its indicators to catalogue.toml and a figures SQL file (defs/indicators/).
"""

from __future__ import annotations

import tomllib
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent / "catalogue.toml"
DEFAULT_LICENCE = "ogl"


class CatalogueError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class Indicator:
    """One row of indicator_catalogue; what each field means is its column's description in
    lmi_pipeline/metadata/indicators.toml, shown in DuckDB, Dagster and docs/data-dictionary.md."""

    indicator: str
    label: str
    definition: str
    unit: str
    status: str  # official | computed | derived | proxy
    source_dataset: str
    frequency: str  # monthly | annual | quarterly | decennial
    published_levels: str
    lowest_level: str  # ward | lad | county | region | country
    release_lag_days: int
    licence: str
    caveats: str = ""
    reference_months: int | None = None  # None: one frequency step (`period` starts the period)


# licence may be left out (the default licence); caveats and reference_months have defaults of their own.
_REQUIRED = {f.name for f in fields(Indicator) if f.default is MISSING} - {"licence"}
_ALLOWED = {f.name for f in fields(Indicator)}


def _indicator(row: dict, licences: dict[str, str], caveats: dict[str, str]) -> Indicator:
    name = row.get("indicator", "?")
    if unknown := set(row) - _ALLOWED:
        raise CatalogueError(f"catalogue.toml, indicator {name!r}: unknown field(s) {sorted(unknown)}; "
                             f"allowed: {sorted(_ALLOWED)}.")
    if missing := _REQUIRED - set(row):
        raise CatalogueError(f"catalogue.toml, indicator {name!r}: missing field(s) {sorted(missing)}.")
    licence = row.get("licence", DEFAULT_LICENCE)
    named = row.get("caveats", [])
    if licence not in licences or (unknown := [c for c in named if c not in caveats]):
        what = f"licence {licence!r}" if licence not in licences else f"caveat(s) {unknown}"
        raise CatalogueError(f"catalogue.toml, indicator {name!r}: {what} not defined in [licences] or "
                             f"[caveats]; define it there or fix the name.")
    return Indicator(**{**row, "licence": licences[licence], "caveats": " ".join(caveats[c] for c in named)})


def load_indicators(path: Path = CATALOGUE) -> list[Indicator]:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    indicators = [_indicator(row, doc.get("licences", {}), doc.get("caveats", {})) for row in doc["indicator"]]
    names = [i.indicator for i in indicators]
    if len(set(names)) != len(names):
        raise CatalogueError(f"catalogue.toml: an indicator is defined twice: "
                             f"{sorted({n for n in names if names.count(n) > 1})}.")
    return indicators


INDICATORS: list[Indicator] = load_indicators()

# The source assets (raw tables) each upstream dataset arrives through, so an indicator knows which sources
# it depends on, and says so when one of them is stale or unavailable this run (source_status).
SOURCE_ASSETS = {"NM_162_1": "raw_claimant_count", "NM_2014_1": "raw_population",
                 "NM_2083_1": "raw_census_economic_activity", "NM_2124_1": "raw_census_age_activity",
                 "NM_2084_1": "raw_census_qualifications", "NM_2077_1": "raw_census_industry",
                 "NM_2080_1": "raw_census_occupation",
                 "NM_17_5": "raw_aps", "NM_127_1": "raw_model_unemployment", "NM_30_1": "raw_ashe_earnings",
                 "NM_57_1": "raw_jobs_density", "NM_189_1": "raw_bres_employees",
                 "NM_141_1": "raw_business_counts", "DfE EES": "raw_neet",
                 "Stat-Xplore UC_Monthly": "raw_uc_conditionality", "MHCLG File 7": "raw_iod"}


def source_assets(source_dataset: str) -> list[str]:
    return [asset for dataset, asset in SOURCE_ASSETS.items() if dataset in source_dataset]


def catalogue_rows() -> list[dict]:
    return [{**asdict(i), "source_assets": source_assets(i.source_dataset)} for i in INDICATORS]
