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
from typing import Any, ClassVar, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

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
# The components of the priority-ward composite (lmi.toml [priority_weights]; method in docs/report.md).
# The defaults lean on youth claimants (the partnerships' focus) and least on the change over a year,
# which is noisy for small wards because every count is rounded to 5.
# Employment deprivation (IoD 2025, England only) is optional: weight 0 unless lmi.toml gives it one.
DEFAULT_PRIORITY_WEIGHTS = {"youth_claimant_rate": 0.4, "claimant_rate": 0.25, "claimant_rate_change_12m": 0.1,
                            "census_unemployment_rate": 0.25, "employment_deprivation": 0.0}
# The youth band the report leads with and the priority composite uses: 16-24 (Nomis's youth band) or 18-24
# (what East Sussex in Figures and DWP's "young people" series report). Both are always published.
YOUTH_AGE_BANDS = ("16-24", "18-24")
# What each list of codes must hold, as its error message says it.
CODE_LISTS = {
    "districts": (LAD_CODE, "a local authority district GSS code (E06/E07/E08/E09 or W06 followed by 6 digits, "
                            "e.g. E07000062 for Hastings)"),
    "counties": (COUNTY_CODE, "a county GSS code (E10 followed by 6 digits, e.g. E10000011 for East Sussex)"),
    "regions": (REGION_CODE, "a region GSS code (E12 followed by 6 digits, e.g. E12000008 for the South East, or "
                             "W92000004 for all of Wales)"),
}
NO_AREAS = ('no areas: no [[local_authority]] entries, districts, counties or regions. Name some, e.g.\n'
            'counties = ["E10000011"]   # every district of East Sussex\n'
            '[[local_authority]]\ncode = "E07000062"\nfocus_wards = ["Gensing"]')


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


# -- lmi.toml as pydantic models ----------------------------------------------------------------------
# Every model forbids keys it does not know, so a misspelt one (`[benchmark]`, `focus_ward`) is refused,
# not ignored. Validators run on the value as TOML gave it, so the messages can quote it exactly as written;
# `_problem` turns pydantic's first error into the one line AreasError says.

_REFUSED = "lmi_toml"  # our own message, whole
_REFUSED_IN_ENTRY = "lmi_toml_entry"  # our own message, about one [[local_authority]] entry: its number goes first


def _refuse(message: str, kind: str = _REFUSED) -> PydanticCustomError:
    # The message travels in the context, so braces in a quoted value are never taken for placeholders.
    return PydanticCustomError(kind, "{message}", {"message": message})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Section(_Model):
    """A [table] of lmi.toml: `name` is how messages refer to it."""

    name: ClassVar[str] = ""
    # Keys checked as a YYYY-MM month, a whole number of at least 1, or a positive number.
    months: ClassVar[tuple[str, ...]] = ()
    counts: ClassVar[tuple[str, ...]] = ()
    amounts: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="before")
    @classmethod
    def _is_a_table(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise _refuse(f"`{cls.name}` must be a table ([{cls.name}] with keys under it), not {value!r}.")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _of_its_kind(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls.months:
            return cls._month(value, info)
        if info.field_name in cls.counts:
            return cls._positive_int(value, info)
        if info.field_name in cls.amounts:
            return cls._positive_number(value, info)
        return value

    @classmethod
    def _positive_int(cls, value: Any, info: ValidationInfo) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _refuse(f"{cls.name}.{info.field_name} = {value!r} must be a whole number of at least 1.")
        return value

    @classmethod
    def _positive_number(cls, value: Any, info: ValidationInfo) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
            raise _refuse(f"{cls.name}.{info.field_name} = {value!r} must be a positive number.")
        return float(value)

    @classmethod
    def _month(cls, value: Any, info: ValidationInfo) -> str:
        name = f"{cls.name}.{info.field_name}"
        m = MONTH.match(str(value))
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise _refuse(f"{name} = {value!r} is not a month; write it as YYYY-MM, e.g. \"2015-04\".")
        if str(value) > date.today().strftime("%Y-%m"):
            raise _refuse(f"{name} = {value} is in the future.")
        return str(value)


class _LocalAuthorityEntry(_Model):
    """One [[local_authority]]: a district and its focus wards (names or ward GSS codes as the user wrote them)."""

    code: str = Field(default=None, validate_default=True)  # a missing code is refused like a wrong one
    focus_wards: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _is_a_table(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise _refuse("must be a table with `code` and `focus_wards`.", _REFUSED_IN_ENTRY)
        return value

    @field_validator("code", mode="before")
    @classmethod
    def _lad_code(cls, value: Any) -> str:
        code = str(value).strip().upper()
        if not LAD_CODE.match(code):
            raise _refuse(f"code {value!r} is not a local authority district GSS code (E06/E07/E08/E09 or W06 "
                          "followed by 6 digits, e.g. E07000062 for Hastings).", _REFUSED_IN_ENTRY)
        return code

    @field_validator("focus_wards", mode="before")
    @classmethod
    def _ward_names_or_codes(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        code = info.data.get("code")
        if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
            raise _refuse(f"local_authority {code} focus_wards must be a list of names or codes.")
        for w in value:
            if CODE_LIKE.match(w.strip()) and not WARD_CODE.match(w.strip().upper()):
                raise _refuse(f"focus ward {w!r} in {code} looks like a GSS code but is not a ward code (E05 or W05 "
                              "followed by 6 digits, e.g. E05011207 for Gensing). Check it, or give the ward's name.")
            if not (WARD_CODE.match(w.strip().upper()) or WARD_NAME.match(w.strip())):
                raise _refuse(f"focus ward {w!r} in {code} has characters a ward name never has. Use the ward's "
                              "name as ONS spells it (e.g. \"Central St Leonards\") or its GSS code (E05...).")
        return tuple(w.strip() for w in value)


class _Benchmarks(_Section):
    name: ClassVar[str] = "benchmarks"
    areas: tuple[str, ...] = ()

    @field_validator("areas", mode="before")
    @classmethod
    def _benchmark_codes(cls, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise _refuse("[benchmarks] areas must be a list of GSS codes.")
        for b in value:
            if not BENCHMARK_CODE.match(str(b).upper()):
                raise _refuse(f"benchmark {b!r} is not a county, region or country GSS code "
                              "(e.g. E10000011 East Sussex, E12000008 South East, E92000001 England).")
        return tuple(dict.fromkeys(str(b).upper() for b in value))


class _ClaimantCount(_Section):
    name: ClassVar[str] = "claimant_count"
    months: ClassVar[tuple[str, ...]] = ("start_month",)
    counts: ClassVar[tuple[str, ...]] = ("revision_window_months",)
    start_month: str = FIRST_WARD_MONTH
    revision_window_months: int = 2

    @field_validator("start_month")
    @classmethod
    def _published_for_wards(cls, start: str) -> str:
        if start < FIRST_WARD_MONTH:
            raise _refuse(f"claimant_count.start_month {start} is before {FIRST_WARD_MONTH}, the first month Nomis "
                          "publishes for wards.")
        return start


class _Analysis(_Section):
    name: ClassVar[str] = "analysis"
    months: ClassVar[tuple[str, ...]] = ("baseline_month",)
    counts: ClassVar[tuple[str, ...]] = ("small_number_threshold",)
    amounts: ClassVar[tuple[str, ...]] = ("max_monthly_jump_pct",)
    baseline_month: str = "2015-04"
    small_number_threshold: int = 20
    youth_age_band: str = "16-24"
    max_monthly_jump_pct: float = 60.0

    @field_validator("youth_age_band", mode="before")
    @classmethod
    def _youth_band(cls, value: Any) -> str:
        if value not in YOUTH_AGE_BANDS:
            raise _refuse(f"analysis.youth_age_band = {value!r} must be one of "
                          f"{', '.join(repr(b) for b in YOUTH_AGE_BANDS)} (the claimant age bands Nomis publishes "
                          "for wards).")
        return value


class _PriorityWeights(_Section):
    """[priority_weights]: a component it leaves out weighs 0, so the composite never silently mixes the
    user's weights with ours (absent altogether, the defaults apply)."""

    name: ClassVar[str] = "priority_weights"
    youth_claimant_rate: float = 0.0
    claimant_rate: float = 0.0
    claimant_rate_change_12m: float = 0.0
    census_unemployment_rate: float = 0.0
    employment_deprivation: float = 0.0

    @model_validator(mode="before")
    @classmethod
    def _is_a_table(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise _refuse("[priority_weights] must be a table of component = weight.")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _weight(cls, value: Any, info: ValidationInfo) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value < float("inf")):
            raise _refuse(f"[priority_weights] {info.field_name} = {value!r} must be a non-negative number.")
        return float(value)

    @model_validator(mode="after")
    def _some_weight(self) -> _PriorityWeights:
        if not any(self.model_dump().values()):
            raise _refuse("[priority_weights] gives every component weight 0; give at least one a positive "
                          "weight (e.g. youth_claimant_rate = 1).")
        return self


class _AreasFile(_Model):
    """The whole of lmi.toml."""

    districts: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    local_authority: tuple[_LocalAuthorityEntry, ...] = ()
    benchmarks: _Benchmarks = _Benchmarks()
    claimant_count: _ClaimantCount = _ClaimantCount()
    analysis: _Analysis = _Analysis()
    priority_weights: Optional[_PriorityWeights] = None

    @field_validator("districts", "counties", "regions", mode="before")
    @classmethod
    def _codes(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        key = info.field_name
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise _refuse(f"`{key}` must be a list of GSS codes, e.g. {key} = [\"...\"].")
        pattern, what = CODE_LISTS[key]
        for original in value:
            if not pattern.match(original.strip().upper()):
                raise _refuse(f"{key} entry {original!r} is not {what}.")
        return tuple(dict.fromkeys(c.strip().upper() for c in value))

    @field_validator("local_authority", mode="before")
    @classmethod
    def _entries(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise _refuse(NO_AREAS)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> _AreasFile:
        if not (self.local_authority or self.districts or self.counties or self.regions):
            raise _refuse(NO_AREAS)
        codes = [la.code for la in self.local_authority]
        if len(set(codes)) != len(codes):
            raise _refuse(f"a local authority is listed twice: {codes}.")
        start, baseline = self.claimant_count.start_month, self.analysis.baseline_month
        if baseline < start:
            raise _refuse(f"analysis.baseline_month {baseline} is before claimant_count.start_month {start}.")
        return self


TOP_LEVEL_KEYS = tuple(_AreasFile.model_fields)
LOCAL_AUTHORITY_KEYS = tuple(_LocalAuthorityEntry.model_fields)
PRIORITY_COMPONENTS = tuple(_PriorityWeights.model_fields)
_SECTIONS = {model.name: model for model in (_Benchmarks, _ClaimantCount, _Analysis)}


def _problem(exc: ValidationError) -> str:
    """The first thing wrong, in one line: an unknown key before anything else (it may be a misspelt one
    whose value then looks missing), else the first error in the order of the file's sections."""
    errors = exc.errors(include_url=False)
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = error["loc"]
    if error["type"] == "extra_forbidden":
        return _unknown_key(loc)
    if error["type"] == _REFUSED_IN_ENTRY:
        return f"local_authority #{loc[1] + 1} {error['ctx']['message']}"
    if error["type"] == _REFUSED:
        return error["ctx"]["message"]
    where = ".".join(str(part) for part in loc)  # a shape no validator above expected: pydantic's own words
    return f"{where}: {error['msg']} (got {error['input']!r})."


def _unknown_key(loc: tuple) -> str:
    key = str(loc[-1])
    if len(loc) == 1:
        return f"unknown key or section {key!r}.{_did_you_mean(key, TOP_LEVEL_KEYS)} lmi.toml holds: " \
               f"{', '.join(TOP_LEVEL_KEYS)}."
    if loc[0] == "local_authority":
        return (f"local_authority #{loc[1] + 1} has an unknown key {key!r}.{_did_you_mean(key, LOCAL_AUTHORITY_KEYS)} "
                f"Its keys are: {', '.join(LOCAL_AUTHORITY_KEYS)}.")
    if loc[0] == "priority_weights":
        return (f"[priority_weights] {key!r} is not a component.{_did_you_mean(key, PRIORITY_COMPONENTS)} "
                f"The components are: {', '.join(PRIORITY_COMPONENTS)}.")
    known = tuple(_SECTIONS[loc[0]].model_fields)
    return f"[{loc[0]}] has an unknown key {key!r}.{_did_you_mean(key, known)} Its keys are: {', '.join(known)}."


def _did_you_mean(key: str, known: tuple[str, ...]) -> str:
    near = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
    return f" Did you mean {near[0]!r}?" if near else ""


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
    try:
        file = _AreasFile.model_validate(doc)
    except ValidationError as exc:
        raise AreasError(f"{path}: {_problem(exc)}") from None
    las = [LocalAuthority(entry.code, entry.focus_wards) for entry in file.local_authority]
    because = {la.code: "listed" for la in las} | {code: "listed" for code in file.districts}
    las += [LocalAuthority(code, ()) for code in file.districts if code not in {la.code for la in las}]
    for code, kind in [(c, "county") for c in file.counties] + [(r, "region") for r in file.regions]:
        for lad in _districts_in(code, kind, path):
            if lad not in because:
                because[lad] = f"in {kind} {code}"
                las.append(LocalAuthority(lad, ()))
    weights = file.priority_weights.model_dump() if file.priority_weights else dict(DEFAULT_PRIORITY_WEIGHTS)
    return AreasConfig(
        path=path,
        local_authorities=tuple(las),
        benchmarks=file.benchmarks.areas,
        start_month=file.claimant_count.start_month,
        baseline_month=file.analysis.baseline_month,
        small_number_threshold=file.analysis.small_number_threshold,
        youth_age_band=file.analysis.youth_age_band,
        priority_weights=weights,
        max_monthly_jump_pct=file.analysis.max_monthly_jump_pct,
        revision_window_months=file.claimant_count.revision_window_months,
        counties=file.counties, regions=file.regions, covered_because=because,
    )


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
