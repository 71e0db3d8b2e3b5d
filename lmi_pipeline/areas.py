"""The areas of interest, read from `lmi.toml` and validated before any network call.

Areas are districts (`[[local_authority]]` entries, with their focus wards, or `districts = [...]`), and
whole counties or regions (`counties = [...]`, `regions = [...]`), which the bundled ONS reference
(lmi_pipeline/geography) expands to their districts. Codes are checked for shape here, and every value
for its type. Whether district codes exist and ward names are spelled right is checked offline against
the bundled reference (area_reference.py), and always once the ward lookup has been fetched
(`resolve_focus_wards`), with the nearest valid names suggested on a miss.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

LAD_CODE = re.compile(r"^(E06|E07|E08|E09|W06)[0-9]{6}$")
COUNTY_CODE = re.compile(r"^E10[0-9]{6}$")
REGION_CODE = re.compile(r"^(E12[0-9]{6}|W92000004)$")  # Wales has no regions: all of Wales is W92000004
WARD_CODE = re.compile(r"^(E05|W05)[0-9]{6}$")
BENCHMARK_CODE = re.compile(r"^(E06|E07|E08|E09|W06|E10|E11|E12|E13|E47|E92|W92|K04|K02|K03)[0-9]{6}$")
# Ward names are letters, digits, spaces and a little punctuation ("St Helen's", "Barming and Teston",
# "Bridge (Maidstone)", "Llandaff North"). Anything else is refused, so names never reach SQL or HTML raw.
WARD_NAME = re.compile(r"^[\w][\w .,'&()/-]{0,79}$", re.UNICODE)
# A letter, then digits with the odd letter: a code typed wrongly (no ward is called "E0501120X").
CODE_LIKE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z]{5,9}$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_WARD_MONTH = "2013-01"  # Nomis publishes small-area claimant counts from January 2013
LOCAL_AUTHORITY_KEYS = ("code", "focus_wards")
TOP_LEVEL_KEYS = ("districts", "counties", "regions", "local_authority", "benchmarks", "claimant_count", "analysis",
                  "priority_weights")
# The components of the priority-ward composite (lmi.toml [priority_weights]; method in docs/report.md).
# The defaults lean on youth claimants (the partnerships' focus) and least on the change over a year,
# which is noisy for small wards because every count is rounded to 5.
# Employment deprivation (IoD 2025, England only) is optional: weight 0 unless lmi.toml gives it one.
PRIORITY_COMPONENTS = ("youth_claimant_rate", "claimant_rate", "claimant_rate_change_12m", "census_unemployment_rate",
                       "employment_deprivation")
DEFAULT_PRIORITY_WEIGHTS = {"youth_claimant_rate": 0.4, "claimant_rate": 0.25, "claimant_rate_change_12m": 0.1,
                            "census_unemployment_rate": 0.25, "employment_deprivation": 0.0}
# The youth band the report leads with and the priority composite uses: 16-24 (Nomis's youth band) or 18-24
# (what East Sussex in Figures and DWP's "young people" series report). Both are always published.
YOUTH_AGE_BANDS = ("16-24", "18-24")


class AreasError(ValueError):
    """lmi.toml is wrong. The message says which entry and what to do."""


@dataclass(frozen=True)
class LocalAuthority:
    code: str
    focus_wards: tuple[str, ...]  # names or ward GSS codes as the user wrote them


@dataclass(frozen=True)
class AreasConfig:
    path: Path
    local_authorities: tuple[LocalAuthority, ...]  # every district covered: listed ones first, then expanded
    benchmarks: tuple[str, ...]
    start_month: str = FIRST_WARD_MONTH
    baseline_month: str = "2015-04"
    small_number_threshold: int = 20
    youth_age_band: str = "16-24"
    priority_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PRIORITY_WEIGHTS))
    max_monthly_jump_pct: float = 60.0
    revision_window_months: int = 2
    counties: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    # district code -> why it is covered ("listed", "in county E10000011", ...)
    covered_because: dict[str, str] = field(default_factory=dict)

    @property
    def lad_codes(self) -> list[str]:
        return [la.code for la in self.local_authorities]


def load_areas(path: Path) -> AreasConfig:
    if not path.exists():
        raise AreasError(f"{path}: the areas file does not exist. Copy lmi.toml from the repository, or set "
                         "LMI_AREAS_FILE to your own.")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AreasError(f"{path}: not valid TOML ({exc}). Fix the syntax; see the comments in lmi.toml.") from None
    return parse_areas(doc, path)


def parse_areas(doc: dict, path: Path = Path("lmi.toml")) -> AreasConfig:
    for key in doc:  # a misspelt section (`[benchmark]`) would otherwise be ignored without a word
        if key not in TOP_LEVEL_KEYS:
            near = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1, cutoff=0.5)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            raise AreasError(f"{path}: unknown key or section {key!r}.{hint} lmi.toml holds: {', '.join(TOP_LEVEL_KEYS)}.")
    las_raw = doc.get("local_authority", [])
    listed = _codes(doc, "districts", LAD_CODE, "a local authority district GSS code (E06/E07/E08/E09 or W06 followed "
                                                "by 6 digits, e.g. E07000062 for Hastings)", path)
    counties = _codes(doc, "counties", COUNTY_CODE, "a county GSS code (E10 followed by 6 digits, e.g. E10000011 for "
                                                    "East Sussex)", path)
    regions = _codes(doc, "regions", REGION_CODE, "a region GSS code (E12 followed by 6 digits, e.g. E12000008 for the "
                                                  "South East, or W92000004 for all of Wales)", path)
    if not isinstance(las_raw, list) or (not las_raw and not (listed or counties or regions)):
        raise AreasError(f"{path}: no areas: no [[local_authority]] entries, districts, counties or regions. Name some, "
                         'e.g.\ncounties = ["E10000011"]   # every district of East Sussex\n'
                         '[[local_authority]]\ncode = "E07000062"\nfocus_wards = ["Gensing"]')
    las = []
    for i, entry in enumerate(las_raw, start=1):
        if not isinstance(entry, dict):
            raise AreasError(f"{path}: local_authority #{i} must be a table with `code` and `focus_wards`.")
        for key in entry:  # a misspelt key (`focus_ward`) would otherwise be ignored without a word
            if key not in LOCAL_AUTHORITY_KEYS:
                near = difflib.get_close_matches(key, LOCAL_AUTHORITY_KEYS, n=1, cutoff=0.5)
                hint = f" Did you mean {near[0]!r}?" if near else ""
                raise AreasError(f"{path}: local_authority #{i} has an unknown key {key!r}.{hint} "
                                 f"Its keys are: {', '.join(LOCAL_AUTHORITY_KEYS)}.")
        code = str(entry.get("code", "")).strip().upper()
        if not LAD_CODE.match(code):
            raise AreasError(
                f"{path}: local_authority #{i} code {entry.get('code')!r} is not a local authority district GSS "
                "code (E06/E07/E08/E09 or W06 followed by 6 digits, e.g. E07000062 for Hastings)."
            )
        wards = entry.get("focus_wards", [])
        if not isinstance(wards, list) or not all(isinstance(w, str) for w in wards):
            raise AreasError(f"{path}: local_authority {code} focus_wards must be a list of names or codes.")
        for w in wards:
            if CODE_LIKE.match(w.strip()) and not WARD_CODE.match(w.strip().upper()):
                raise AreasError(
                    f"{path}: focus ward {w!r} in {code} looks like a GSS code but is not a ward code (E05 or W05 "
                    "followed by 6 digits, e.g. E05011207 for Gensing). Check it, or give the ward's name."
                )
            if not (WARD_CODE.match(w.strip().upper()) or WARD_NAME.match(w.strip())):
                raise AreasError(
                    f"{path}: focus ward {w!r} in {code} has characters a ward name never has. Use the ward's "
                    "name as ONS spells it (e.g. \"Central St Leonards\") or its GSS code (E05...)."
                )
        las.append(LocalAuthority(code, tuple(w.strip() for w in wards)))
    codes = [la.code for la in las]
    if len(set(codes)) != len(codes):
        raise AreasError(f"{path}: a local authority is listed twice: {codes}.")
    because = {code: "listed" for code in codes + listed}
    las += [LocalAuthority(code, ()) for code in listed if code not in codes]
    for code, kind in [(c, "county") for c in counties] + [(r, "region") for r in regions]:
        for lad in _districts_in(code, kind, path):
            if lad not in because:
                because[lad] = f"in {kind} {code}"
                las.append(LocalAuthority(lad, ()))

    bench = _section(doc, "benchmarks", path).get("areas", [])
    if not isinstance(bench, list):
        raise AreasError(f"{path}: [benchmarks] areas must be a list of GSS codes.")
    for b in bench:
        if not BENCHMARK_CODE.match(str(b).upper()):
            raise AreasError(f"{path}: benchmark {b!r} is not a county, region or country GSS code "
                             "(e.g. E10000011 East Sussex, E12000008 South East, E92000001 England).")

    cc = _section(doc, "claimant_count", path)
    analysis = _section(doc, "analysis", path)
    start = _month(cc.get("start_month", FIRST_WARD_MONTH), "claimant_count.start_month", path)
    if start < FIRST_WARD_MONTH:
        raise AreasError(f"{path}: claimant_count.start_month {start} is before {FIRST_WARD_MONTH}, the first "
                         "month Nomis publishes for wards.")
    baseline = _month(analysis.get("baseline_month", "2015-04"), "analysis.baseline_month", path)
    if baseline < start:
        raise AreasError(f"{path}: analysis.baseline_month {baseline} is before claimant_count.start_month {start}.")
    weights = _priority_weights(doc.get("priority_weights"), path)
    return AreasConfig(
        path=path,
        local_authorities=tuple(las),
        benchmarks=tuple(dict.fromkeys(str(b).upper() for b in bench)),
        start_month=start,
        baseline_month=baseline,
        small_number_threshold=_positive_int(analysis.get("small_number_threshold", 20),
                                             "analysis.small_number_threshold", path),
        youth_age_band=_youth_band(analysis.get("youth_age_band", "16-24"), path),
        priority_weights=weights,
        max_monthly_jump_pct=_positive_number(analysis.get("max_monthly_jump_pct", 60.0),
                                              "analysis.max_monthly_jump_pct", path),
        revision_window_months=_positive_int(cc.get("revision_window_months", 2), "claimant_count.revision_window_months",
                                             path),
        counties=tuple(counties), regions=tuple(regions), covered_because=because,
    )


def _codes(doc: dict, key: str, pattern: re.Pattern, what: str, path: Path) -> list[str]:
    raw = doc.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise AreasError(f"{path}: `{key}` must be a list of GSS codes, e.g. {key} = [\"...\"].")
    codes = [c.strip().upper() for c in raw]
    for original, code in zip(raw, codes):
        if not pattern.match(code):
            raise AreasError(f"{path}: {key} entry {original!r} is not {what}.")
    return list(dict.fromkeys(codes))


def nearest_codes(code: str, known, n: int = 3) -> list[str]:
    """The `n` codes of the same entity (E10, E07, ...) whose numbers are closest: likely typos of `code`."""
    same = [k for k in known if k[:3] == code[:3] and k[3:].isdigit()]
    if not code[3:].isdigit():
        return difflib.get_close_matches(code, same, n=n, cutoff=0.7)
    return sorted(same, key=lambda k: (abs(int(k[3:]) - int(code[3:])), k))[:n]


def _districts_in(code: str, kind: str, path: Path) -> list[str]:
    """A county's or region's districts, from the bundled ONS reference (offline)."""
    from lmi_pipeline.geography.reference import reference

    ref = reference()
    found = ref.districts_in(code)
    if not found:
        near = nearest_codes(code, {c for d in ref.districts.values() for c in d.parents()})
        hint = f" Did you mean {', '.join(f'{c} {ref.name(c)}' for c in near)}?" if near else ""
        raise AreasError(f"{path}: {code} is not a {kind} in the bundled ONS reference (areas of May 2024).{hint} A {kind} "
                         f"created since cannot be expanded offline: list its districts under `districts` instead.")
    return found


def _priority_weights(raw: object, path: Path) -> dict[str, float]:
    """[priority_weights]: absent means the defaults; present means exactly what it says (a component it
    leaves out weighs 0), so the composite never silently mixes the user's weights with ours."""
    if raw is None:
        return dict(DEFAULT_PRIORITY_WEIGHTS)
    if not isinstance(raw, dict):
        raise AreasError(f"{path}: [priority_weights] must be a table of component = weight.")
    for key, value in raw.items():
        if key not in PRIORITY_COMPONENTS:
            near = difflib.get_close_matches(key, PRIORITY_COMPONENTS, n=1, cutoff=0.5)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            raise AreasError(f"{path}: [priority_weights] {key!r} is not a component.{hint} "
                             f"The components are: {', '.join(PRIORITY_COMPONENTS)}.")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value < float("inf")):
            raise AreasError(f"{path}: [priority_weights] {key} = {value!r} must be a non-negative number.")
    weights = {c: float(raw.get(c, 0.0)) for c in PRIORITY_COMPONENTS}
    if not any(weights.values()):
        raise AreasError(f"{path}: [priority_weights] gives every component weight 0; give at least one a positive "
                         "weight (e.g. youth_claimant_rate = 1).")
    return weights


def _youth_band(value: object, path: Path) -> str:
    if value not in YOUTH_AGE_BANDS:
        raise AreasError(f"{path}: analysis.youth_age_band = {value!r} must be one of "
                         f"{', '.join(repr(b) for b in YOUTH_AGE_BANDS)} (the claimant age bands Nomis publishes for wards).")
    return value


def _section(doc: dict, name: str, path: Path) -> dict:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise AreasError(f"{path}: `{name}` must be a table ([{name}] with keys under it), not {value!r}.")
    return value


def _positive_number(value: object, name: str, path: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise AreasError(f"{path}: {name} = {value!r} must be a positive number.")
    return float(value)


def _positive_int(value: object, name: str, path: Path) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise AreasError(f"{path}: {name} = {value!r} must be a whole number of at least 1.")
    return value


def _month(value: object, name: str, path: Path) -> str:
    m = MONTH.match(str(value))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise AreasError(f"{path}: {name} = {value!r} is not a month; write it as YYYY-MM, e.g. \"2015-04\".")
    if str(value) > date.today().strftime("%Y-%m"):
        raise AreasError(f"{path}: {name} = {value} is in the future.")
    return str(value)


@dataclass(frozen=True)
class Ward:
    code: str
    name: str
    lad_code: str
    lad_name: str


def resolve_focus_wards(config: AreasConfig, wards: list[Ward]) -> dict[str, list[str]]:
    """Map each LA's focus wards (names or codes) to ward codes; raise with suggestions on a miss."""
    by_lad: dict[str, list[Ward]] = {}
    for w in wards:
        by_lad.setdefault(w.lad_code, []).append(w)
    resolved: dict[str, list[str]] = {}
    for la in config.local_authorities:
        in_la = by_lad.get(la.code)
        if not in_la:
            raise AreasError(
                f"{config.path}: local authority {la.code} has no wards in the ward lookup. Check the code "
                "(a current district/unitary GSS code, e.g. E07000062 Hastings)."
            )
        resolved[la.code] = []
        for wanted in la.focus_wards:
            match = _match_ward(wanted, in_la)
            if match is None:
                elsewhere = _match_ward(wanted, wards)
                if elsewhere is not None:
                    raise AreasError(
                        f"{config.path}: focus ward {wanted!r} is in {elsewhere.lad_name} ({elsewhere.lad_code}), "
                        f"not in {in_la[0].lad_name} ({la.code}). Move it under the right local_authority."
                    )
                names = sorted({w.name for w in in_la})  # a ward is listed once per boundary vintage
                near = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
                hint = f" Did you mean {', '.join(repr(n) for n in near)}?" if near else ""
                raise AreasError(
                    f"{config.path}: no ward {wanted!r} in {in_la[0].lad_name} ({la.code}).{hint} "
                    f"Its wards are: {', '.join(names)}."
                )
            resolved[la.code].append(match.code)
    return resolved


def _match_ward(wanted: str, wards: list[Ward]) -> Ward | None:
    key = wanted.strip().casefold()
    for w in wards:
        if key in (w.code.casefold(), w.name.casefold()):
            return w
    return None
