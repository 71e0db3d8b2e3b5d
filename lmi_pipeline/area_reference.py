"""Checking lmi.toml against what is already on disk, before any network call.

The shape of every code and name is checked when lmi.toml is parsed (areas.py). Whether a district code
exists and whether a focus ward is spelled right can only be known from upstream metadata; the last
successful run left exactly that in the published database: `nomis_geographies` lists every district
Nomis published (with names) and `ward_lookup` every ward of the districts covered then. So:

- a district code the last run's Nomis list does not have is refused, with the nearest codes;
- a focus ward of a district covered last time is resolved offline, with the nearest names suggested
  and a ward that belongs to another district named as such;
- a district not covered last time (or a first run) cannot be checked offline: its wards are resolved
  once the ONS lookup is fetched (`ward_lookup` asset), with the same suggestions, and nothing is published.

The reference can be out of date (a district created or a ward renamed since the last run). The message
says so, and `LMI_OFFLINE_AREA_CHECK=0` skips these checks for a run; the checks after the download stay.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from lmi_pipeline.areas import AreasConfig, AreasError, Ward, resolve_focus_wards

SKIP_VARIABLE = "LMI_OFFLINE_AREA_CHECK"


@dataclass(frozen=True)
class AreaReference:
    source: Path
    as_of: str  # when the reference was published
    districts: dict[str, str]  # GSS code -> name, every district Nomis listed at the last run
    wards: tuple[Ward, ...]  # every ward (all vintages) of the districts covered at the last run

    @property
    def covered(self) -> set[str]:
        return {w.lad_code for w in self.wards}


def load_reference(published_db: Path) -> AreaReference | None:
    """The reference from the published database, or None when there is none (first run) or it lacks the
    tables (an older publication). Never fails a run: an unreadable reference only means fewer checks."""
    if not Path(published_db).exists():
        return None
    try:
        with duckdb.connect(str(published_db), read_only=True) as conn:
            tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
            if not {"nomis_geographies", "ward_lookup"} <= tables:
                return None
            districts = dict(conn.execute(
                "SELECT DISTINCT gss_code, nomis_name FROM nomis_geographies WHERE level = 'lad' ORDER BY 1").fetchall())
            wards = tuple(Ward(*r) for r in conn.execute(
                "SELECT DISTINCT ward_code, ward_name, lad_code, lad_name FROM ward_lookup ORDER BY 3, 2").fetchall())
    except duckdb.Error:
        return None
    as_of = datetime.fromtimestamp(Path(published_db).stat().st_mtime, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return AreaReference(Path(published_db), as_of, districts, wards)


def offline_check_enabled(env: dict[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(SKIP_VARIABLE, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def check_areas_offline(config: AreasConfig, reference: AreaReference | None) -> list[str]:
    """Raise AreasError for what can be known wrong offline; return notes on what could not be checked."""
    if not any(la.focus_wards for la in config.local_authorities):
        raise AreasError(f"{config.path}: no focus_wards in any [[local_authority]]. The charts and the report are "
                         "about focus wards; name at least one, e.g. focus_wards = [\"Gensing\"].")
    if reference is None:
        return ["no earlier publication to check district codes and ward names against offline; they are checked "
                "against upstream metadata as soon as it is fetched."]
    where = (f"(checked offline against the areas the last successful run found upstream, in {reference.source}, "
             f"published {reference.as_of}. If upstream has changed since, set {SKIP_VARIABLE}=0 for this run.)")
    for la in config.local_authorities:
        if reference.districts and la.code not in reference.districts:
            near = difflib.get_close_matches(la.code, list(reference.districts), n=3, cutoff=0.7)
            named = ", ".join(f"{c} {reference.districts[c]}" for c in near)
            hint = f" Did you mean {named}?" if near else ""
            raise AreasError(f"{config.path}: local authority {la.code} is not a district Nomis publishes.{hint} "
                             f"{where}")
    covered = [la for la in config.local_authorities if la.code in reference.covered]
    if covered:
        try:
            resolve_focus_wards(replace(config, local_authorities=tuple(covered)), list(reference.wards))
        except AreasError as exc:
            raise AreasError(f"{exc} {where}") from None
    return [f"focus wards of {la.code} {reference.districts.get(la.code, '')}".rstrip() + " are checked once the "
            "ONS ward lookup is fetched (the district is new since the last publication)."
            for la in config.local_authorities if la.code not in reference.covered and la.focus_wards]
