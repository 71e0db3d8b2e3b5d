"""Checking lmi.toml against real geography, before any network call.

The shape of every code and name is checked when lmi.toml is parsed (areas.py). Whether a district code
exists and whether a focus ward is spelled right is checked here against the bundled ONS reference
(lmi_pipeline/geography: every district and ward of England and Wales, December 2022 and May 2024),
plus the wards the last publication found upstream, which may be newer:

- a district code the reference does not know is refused with the nearest codes; one abolished since
  2022 is refused naming the district that replaced it;
- a focus ward is resolved against the district's wards in every vintage, with the nearest names
  suggested and a ward of another district named as such.

The reference can be out of date (a district or ward created since May 2024). The message says so, and
`LMI_OFFLINE_AREA_CHECK=0` skips these checks for a run; the checks once the ONS lookup is fetched stay.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lmi_pipeline.geography.areas import AreasConfig, AreasError, Ward, nearest_codes, resolve_focus_wards
from lmi_pipeline.geography.reference import GeographyReference, reference

SKIP_VARIABLE = "LMI_OFFLINE_AREA_CHECK"


@dataclass(frozen=True)
class AreaReference:
    districts: dict[str, str]  # GSS code -> name, every current district of England and Wales
    former: dict[str, tuple[str, str]]  # abolished district -> (its name, the district that replaced it)
    wards: tuple[Ward, ...]  # every ward of every vintage known
    source: str  # what the reference is, for messages

    @property
    def covered(self) -> set[str]:
        return {w.lad_code for w in self.wards}


def load_reference(published_db: Path | None = None, ref: GeographyReference | None = None) -> AreaReference:
    """The bundled reference, plus the wards the last publication found upstream (when it has any)."""
    ref = ref or reference()
    wards = [Ward(w.code, w.name, w.lad_code, w.lad_name) for w in ref.wards]
    source = "the bundled ONS reference (wards of December 2022 and May 2024)"
    if published_db is not None and Path(published_db).exists():
        try:
            with duckdb.connect(str(published_db), read_only=True) as conn:
                wards += [Ward(*r) for r in conn.execute(
                    "SELECT DISTINCT ward_code, ward_name, lad_code, lad_name FROM ward_lookup").fetchall()]
            source += f" and the wards in {published_db}"
        except duckdb.Error:  # an older or unreadable publication only means fewer names to check against
            pass
    former = {code: (name, ref.successors.get(code, "")) for code, name in ref.former_districts.items()}
    return AreaReference({c: d.name for c, d in ref.districts.items()}, former, tuple(dict.fromkeys(wards)), source)


def offline_check_enabled(env: dict[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(SKIP_VARIABLE, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def check_areas_offline(config: AreasConfig, reference: AreaReference | None) -> list[str]:
    """Raise AreasError for what can be known wrong offline; return notes on what could not be checked."""
    if not any(la.focus_wards for la in config.local_authorities):
        raise AreasError(f"{config.path}: no focus_wards in any [[local_authority]]. The charts and the report are "
                         "about focus wards; name at least one, e.g. focus_wards = [\"Gensing\"].")
    if reference is None:
        return ["no geography reference to check district codes and ward names against offline; they are checked "
                "against upstream metadata as soon as it is fetched."]
    where = (f"(checked offline against {reference.source}. If ONS has changed the areas since, set "
             f"{SKIP_VARIABLE}=0 for this run.)")
    for la in config.local_authorities:
        if la.code in reference.districts:
            continue
        if la.code in reference.former:
            name, successor = reference.former[la.code]
            instead = (f" Its area is now part of {successor} {reference.districts.get(successor, '')}: use {successor}."
                       if successor else "")
            raise AreasError(f"{config.path}: local authority {la.code} ({name}) was abolished in the 2023 local "
                             f"government reorganisation.{instead} {where}")
        near = nearest_codes(la.code, reference.districts)
        named = ", ".join(f"{c} {reference.districts[c]}" for c in near)
        hint = f" Did you mean {named}?" if near else ""
        raise AreasError(f"{config.path}: local authority {la.code} is not a district of England or Wales in the "
                         f"reference.{hint} {where}")
    try:
        resolve_focus_wards(config, list(reference.wards))
    except AreasError as exc:
        raise AreasError(f"{exc} {where}") from None
    return []
