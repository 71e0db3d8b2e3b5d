"""The LMI needs catalogue: what a partnership asks of LMI and which sources answer it, kept as data in
needs.toml and checked here against the indicator catalogue (catalogue.toml).

`load_needs()` reads and checks it; `needs_rows()` gives one row per need x source for a DuckDB table
`lmi_needs` (columns in `NEEDS_COLUMNS`); `render_markdown()` writes docs/lmi-needs.md
(`python -m lmi_pipeline.indicators.needs`).
"""

from __future__ import annotations

import tomllib
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

from lmi_pipeline.indicators.catalogue import CATALOGUE, Indicator, load_indicators
from lmi_pipeline.metadata import TABLES

NEEDS = Path(__file__).resolve().parent / "needs.toml"
DOC = Path(__file__).resolve().parents[2] / "docs" / "lmi-needs.md"

GEOGRAPHIES = ("ward", "lsoa", "msoa", "lad", "county", "region", "country", "none")
CADENCES = ("monthly", "quarterly", "annual", "decennial", "irregular")
ACCESS = ("open", "free_key", "licensed")


class NeedsError(ValueError):
    pass


@dataclass(frozen=True, kw_only=True)
class NeedSource:
    """One published source that answers a need; what each field means is in needs.toml's header."""

    publisher: str
    dataset: str
    dataset_id: str
    lowest_geography: str  # ward | lsoa | msoa | lad | county | region | country | none
    cadence: str  # monthly | quarterly | annual | decennial | irregular
    latest_period: str
    checked_on: str
    access: str  # open | free_key | licensed
    loaded: bool
    url: str
    note: str
    loaded_as: tuple[str, ...] = ()
    catalogue_name: str = ""  # how catalogue.toml's source_dataset names it; "" = dataset_id

    @property
    def catalogue_source(self) -> str:
        return self.catalogue_name or self.dataset_id


@dataclass(frozen=True, kw_only=True)
class Need:
    """One thing a partnership asks of LMI, the catalogue indicators that answer it and its sources."""

    id: str
    label: str
    question: str
    indicators: tuple[str, ...]
    sources: tuple[NeedSource, ...] = ()
    not_published_for_small_areas: bool = False
    why: str = ""


_SOURCE_REQUIRED = {f.name for f in fields(NeedSource) if f.default is MISSING}
_SOURCE_ALLOWED = {f.name for f in fields(NeedSource)}
# In the TOML a need's sources are its [[need.source]] tables.
_NEED_REQUIRED = {f.name for f in fields(Need) if f.default is MISSING}
_NEED_ALLOWED = {f.name for f in fields(Need)} - {"sources"} | {"source"}
_TEXT = {"publisher", "dataset", "dataset_id", "latest_period", "checked_on", "url", "note", "label", "question"}


def _check_fields(row: dict, where: str, required: set[str], allowed: set[str]) -> None:
    if unknown := set(row) - allowed:
        raise NeedsError(f"{where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}.")
    if missing := required - set(row):
        raise NeedsError(f"{where}: missing field(s) {sorted(missing)}.")
    if empty := sorted(k for k in _TEXT & set(row) if not str(row[k]).strip()):
        raise NeedsError(f"{where}: empty field(s) {empty}; say what it is, or 'unverified'.")


def _source(row: dict, where: str) -> NeedSource:
    _check_fields(row, where, _SOURCE_REQUIRED, _SOURCE_ALLOWED)
    for name, allowed in (("lowest_geography", GEOGRAPHIES), ("cadence", CADENCES), ("access", ACCESS)):
        if row[name] not in allowed:
            raise NeedsError(f"{where}: {name} {row[name]!r} is not one of {list(allowed)}.")
    if not isinstance(row["loaded"], bool):
        raise NeedsError(f"{where}: loaded must be true or false, not {row['loaded']!r}.")
    loaded_as = tuple(row.get("loaded_as", ()))
    if row["loaded"] and not loaded_as:
        raise NeedsError(f"{where}: loaded = true but loaded_as is empty; list the catalogue indicators that "
                         f"come from it.")
    if not row["loaded"] and loaded_as:
        raise NeedsError(f"{where}: loaded = false but loaded_as lists {list(loaded_as)}; set loaded = true "
                         f"or remove loaded_as.")
    return NeedSource(**{**row, "loaded_as": loaded_as})


def _need(row: dict, number: int) -> Need:
    where = f"needs.toml, need {row.get('id', f'#{number}')!r}"
    _check_fields(row, where, _NEED_REQUIRED, _NEED_ALLOWED)
    sources = tuple(_source(s, f"{where}, source {s.get('dataset_id', f'#{i}')!r}")
                    for i, s in enumerate(row.get("source", []), 1))
    flagged = row.get("not_published_for_small_areas", False)
    if not isinstance(flagged, bool):
        raise NeedsError(f"{where}: not_published_for_small_areas must be true or false, not {flagged!r}.")
    if not sources and not flagged:
        raise NeedsError(f"{where}: no [[need.source]]; add one, or set not_published_for_small_areas = true "
                         f"with a why.")
    if flagged and not str(row.get("why", "")).strip():
        raise NeedsError(f"{where}: not_published_for_small_areas = true needs a why.")
    if row.get("why") and not flagged:
        raise NeedsError(f"{where}: a why is given but not_published_for_small_areas is not true.")
    ids = [s.dataset_id for s in sources]
    if len(set(ids)) != len(ids):
        raise NeedsError(f"{where}: a source is listed twice: {sorted({i for i in ids if ids.count(i) > 1})}.")
    return Need(**{**{k: v for k, v in row.items() if k != "source"}, "indicators": tuple(row["indicators"]),
                   "sources": sources})


def _check_against_catalogue(needs: list[Need], indicators: list[Indicator]) -> None:
    """Every id named exists; every loaded source is what its indicators' catalogue rows say they come from;
    and every catalogue indicator is claimed by a need and by the loaded source(s) it comes from."""
    catalogue = {i.indicator: i for i in indicators}
    for need in needs:
        where = f"needs.toml, need {need.id!r}"
        if unknown := [i for i in need.indicators if i not in catalogue]:
            raise NeedsError(f"{where}: indicator(s) {unknown} are not in catalogue.toml; fix the id or add "
                             f"the indicator there.")
        for source in need.sources:
            here = f"{where}, source {source.dataset_id!r}"
            if unknown := [i for i in source.loaded_as if i not in catalogue]:
                raise NeedsError(f"{here}: loaded_as {unknown} are not in catalogue.toml.")
            for name in source.loaded_as:
                parts = _parts(catalogue[name].source_dataset)
                if source.catalogue_source not in parts:
                    raise NeedsError(
                        f"{here}: loaded_as {name!r}, but catalogue.toml gives its source_dataset as "
                        f"{catalogue[name].source_dataset!r}, not {source.catalogue_source!r}; fix loaded_as, "
                        f"the dataset_id or catalogue_name.")
    claimed = {i for need in needs for i in need.indicators}
    loaded = {(i, s.catalogue_source) for need in needs for s in need.sources for i in s.loaded_as}
    for indicator in indicators:
        if indicator.indicator not in claimed:
            raise NeedsError(f"needs.toml: catalogue indicator {indicator.indicator!r} is claimed by no need; "
                             f"add it to a need's indicators.")
        for part in _parts(indicator.source_dataset):
            if (indicator.indicator, part) not in loaded:
                raise NeedsError(f"needs.toml: catalogue indicator {indicator.indicator!r} comes from {part!r}, "
                                 f"but no loaded source lists it in loaded_as; add that source (loaded = true).")


def _parts(source_dataset: str) -> list[str]:
    """A derived indicator's source_dataset names its sources joined by ' / ' (NM_162_1 / NM_2014_1)."""
    return [p.strip() for p in source_dataset.split(" / ")]


def load_needs(path: Path = NEEDS, catalogue: Path = CATALOGUE) -> list[Need]:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    if unknown := set(doc) - {"need"}:
        raise NeedsError(f"needs.toml: unknown top-level key(s) {sorted(unknown)}; only [[need]] tables.")
    needs = [_need(row, n) for n, row in enumerate(doc.get("need", []), 1)]
    ids = [n.id for n in needs]
    if len(set(ids)) != len(ids):
        raise NeedsError(f"needs.toml: a need is defined twice: {sorted({i for i in ids if ids.count(i) > 1})}.")
    _check_against_catalogue(needs, load_indicators(catalogue))
    return needs


# The columns of `lmi_needs` (one row per need x source), as (name, DuckDB type, description): described once, in
# lmi_pipeline/metadata/indicators.toml.
NEEDS_COLUMNS: tuple[tuple[str, str, str], ...] = tuple(
    (c.name, c.type, c.description) for c in TABLES["lmi_needs"].columns)


def needs_rows(needs: list[Need] | None = None) -> list[dict]:
    """One row per need x source (a need without sources gives one row with the source columns NULL)."""
    rows = []
    for position, need in enumerate(load_needs() if needs is None else needs, start=1):
        base = {"need_position": position, "need_id": need.id, "need_label": need.label, "question": need.question,
                "indicators": list(need.indicators),
                "not_published_for_small_areas": need.not_published_for_small_areas, "why": need.why or None}
        blank = {name: None for name, _, _ in NEEDS_COLUMNS if name not in base}
        for source in need.sources or (None,):
            row = {**base, **blank}
            if source is not None:
                row.update({name: getattr(source, name) for name in blank})
                row["loaded_as"] = list(source.loaded_as)
                row["catalogue_name"] = source.catalogue_name or None
            rows.append(row)
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(needs: list[Need] | None = None) -> str:
    needs = load_needs() if needs is None else needs
    lines = ["# LMI needs", "",
             "<!-- Generated from lmi_pipeline/indicators/needs.toml by `python -m lmi_pipeline.indicators.needs`;"
             " edit the TOML, not this file. -->", "",
             "What a youth-employment or worklessness partnership asks of labour market intelligence, and which "
             "published sources answer it: the lowest geography each is published for, how often, how it may be "
             "had, and whether lmi-pipeline loads it today (and as which indicators of `indicator_catalogue`). "
             "Facts were checked on the date given against the publisher's page linked; \"unverified\" marks "
             "what could not be checked.", ""]
    for need in needs:
        lines += [f"## {need.label} (`{need.id}`)", "", need.question, ""]
        if need.indicators:
            lines += ["Answered today by: " + ", ".join(f"`{i}`" for i in need.indicators) + ".", ""]
        else:
            lines += ["No indicator in the catalogue answers it yet.", ""]
        if need.not_published_for_small_areas:
            lines += [f"**Not published for small areas.** {need.why}", ""]
        if need.sources:
            lines += ["| publisher | dataset | id | lowest geography | cadence | latest period (checked) | access "
                      "| loaded as | note |", "|---|---|---|---|---|---|---|---|---|"]
            for s in need.sources:
                loaded = ", ".join(f"`{i}`" for i in s.loaded_as) if s.loaded else "not loaded"
                lines.append("| " + " | ".join(_cell(c) for c in (
                    s.publisher, f"[{s.dataset}]({s.url})", f"`{s.dataset_id}`", s.lowest_geography, s.cadence,
                    f"{s.latest_period} ({s.checked_on})", s.access, loaded, s.note)) + " |")
            lines.append("")
    return "\n".join(lines)


def write_doc(path: Path = DOC) -> Path:
    path.write_text(render_markdown(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_doc()}")
