"""assets/report/index.html: the single-page report a partnership reads, every figure traceable to its source.

Rendered with Jinja2 and autoescaping on, so every name from upstream (wards, districts, datasets) is
HTML-escaped. Charts are the chart assets' own outputs (the figures of assets/charts/, as <div>s that use
the one plotly.min.js published beside them, ../charts/plotly.min.js): the page works offline.
"""

import math
import re
from collections import defaultdict
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.analyses.focus_ward_progress import __file__ as progress_module
from lmi_pipeline.defs.analyses.lmi_gaps import DATED_AFTER_MONTHS
from lmi_pipeline.defs.analyses.lmi_gaps import __file__ as gaps_module
from lmi_pipeline.defs.analyses.priority_wards import __file__ as priority_module
from lmi_pipeline.defs.publish.charts import EmbeddedChart
from lmi_pipeline.defs.publish.report_data import QUERIES, report_data
from lmi_pipeline.defs.publish.youth import youth_indicator
from lmi_pipeline.project import ProjectResource, is_synthetic
from lmi_pipeline.publish.research_focus import research_focus

REPORT = "report/index.html"
DISTRICTS_PAGE = "report/districts.html"  # the districts side by side, linked from the report
TEMPLATES = Path(__file__).parent / "templates"
PLOTLY_SRC = "../charts/plotly.min.js"  # written once by write_chart, published with the charts
# The researcher notebook in a source checkout (linked from the asset's metadata when present).
NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "explore_wards.ipynb"
# The headline cards per district, in this order, where the catalogue and the data have them.
HEADLINE_INDICATORS = ["claimant_count", "claimant_rate", "claimant_rate_16_24", "model_unemployment_rate",
                       "census_unemployment_rate", "neet_nk_16_17"]
# The cards of each focus ward profile.
WARD_CARDS = ["claimant_rate", "claimant_rate_16_24", "claimant_count_16_24", "census_unemployment_rate",
              "census_neet_proxy_16_24"]
# The report's chart sections, each filled by one chart asset's output.
CHART_SECTIONS = ("trend", "ranking", "small_multiples", "gaps", "need_gaps", "maps")
LEVEL_NAMES = {"ward": "ward", "lad": "district", "county": "county", "region": "region", "country": "England"}


# The priority components in words (priority_wards names them as lmi.toml [priority_weights] does).
COMPONENT_LABELS = {"youth_claimant_rate": "youth claimant rate", "claimant_rate": "claimant rate (16+)",
                    "claimant_rate_change_12m": "change in the claimant rate on a year",
                    "census_unemployment_rate": "Census 2021 unemployment rate",
                    "employment_deprivation": "employment deprivation (IoD 2025)"}


def components(names: str | None) -> str:
    """'youth_claimant_rate, census_unemployment_rate (no figures)' in words, the reasons kept."""
    if not names:
        return ""
    return re.sub(r"[a-z0-9_]+(?=$|,| \()", lambda m: COMPONENT_LABELS.get(m.group(0), m.group(0)), names)


def reason_lines(reasons: str | None) -> Markup:
    """priority_wards.reasons, one component to a line, shortened for a table cell: "youth claimant rate (16-24)
    10.7% (district 6.0%), ranked 1 of 16 wards" reads "youth claimant rate (16-24) 10.7% vs 6.0%, 1st of 16"."""
    def short(reason: str) -> str:
        reason = re.sub(r" \(district ([^)]+)\)", r" vs \1", reason)
        return re.sub(r", ranked (\d+) of (\d+) wards", lambda m: f", {_ordinal(int(m[1]))} of {m[2]}", reason)
    return Markup("<br>").join(escape(short(r)) for r in (reasons or "").split("; ") if r)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def num(value: Any, unit: str = "") -> str:
    """A figure as it should be read: rates to 1 dp, counts whole, never more precision than the source."""
    if _missing(value):
        return "–"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "£":  # ASHE pay, published to the pound's tenth: shown in whole pounds
        return f"£{value:,.0f}"
    if unit == "jobs per resident 16-64":  # jobs density, published to 2 dp
        return f"{value:.2f}"
    if unit == "claimants" or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def change(value: Any, unit: str = "") -> str:
    if _missing(value):
        return "–"
    if unit == "%":
        return f"{value:+.1f} pts"
    return f"{value:+,.0f}"


def span(lower: Any, upper: Any, unit: str = "") -> str:
    """The range a figure allows (rounding or a confidence interval), e.g. '298–302' or '3.1–4.5%'."""
    if _missing(lower) or _missing(upper):
        return ""
    low, high = (f"{lower:.1f}", f"{upper:.1f}") if unit == "%" else (f"{lower:,.0f}", f"{upper:,.0f}")
    if low == high:  # narrower than the precision shown: saying "5.5–5.5%" would read as false precision
        return ""
    return f"{low}–{high}%" if unit == "%" else f"{low}–{high}"


def month(value: Any) -> str:
    return "–" if _missing(value) else value.strftime("%B %Y")


def mon(value: Any) -> str:
    return "–" if _missing(value) else value.strftime("%b %Y")


def stamp(value: Any) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%d %b %Y %H:%M UTC")
    return str(value)


class Sources:
    """Numbers the upstream queries behind the figures, so a figure's [n] links to its provenance row."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.number = {r["query_id"]: i for i, r in enumerate(rows, start=1)}

    def cite(self, *ids: Any, page: str = "") -> Markup:
        """Links to the sources of the given query ids; `page` is the report's file when citing from another page."""
        found = []
        for value in ids:
            for qid in str(value or "").split(","):
                n = self.number.get(qid.strip())
                if n and n not in found:
                    found.append(n)
        links = "".join(f'<a class="cite" href="{page}#src-{n}" title="source {n}">[{n}]</a>' for n in sorted(found))
        return Markup(links)


# Column headings short enough for the districts side by side on a page (the catalogue's labels say the rest).
SHORT_LABELS = {"claimant_rate": "Claimant rate", "claimant_count": "Claimants (16+)",
                "claimant_rate_16_24": "Claimant rate 16-24", "claimant_rate_18_24": "Claimant rate 18-24",
                "census_unemployment_rate": "Census unemployment rate (2021)",
                "model_unemployment_rate": "Model-based unemployment rate", "aps_unemployment_rate": "APS unemployment rate"}
# The districts compared side by side, in this order (where held for the districts).
COMPARISON_INDICATORS = ["claimant_rate", "claimant_count", "claimant_rate_16_24", "claimant_rate_18_24",
                         "census_unemployment_rate", "model_unemployment_rate", "aps_unemployment_rate"]


def _by(rows: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        out[r[key]].append(r)
    return out


def _embed(charts: list[EmbeddedChart]) -> dict[str, dict]:
    return {c.key or c.relative: {"title": c.title, "href": "../" + c.relative, "div": Markup(c.div)} for c in charts}


def _youth_band(indicators: list[str], youth: str) -> list[str]:
    """The list with its 16-24 claimant indicators swapped for those of the configured youth band."""
    suffix = youth.removeprefix("claimant_rate")
    return [i.replace("_16_24", suffix) if i.startswith("claimant_") else i for i in indicators]


def _focus_ward(rows: list[dict], by_lad: dict, ranks: dict, progress: dict, ward_gaps: dict,
                cards: list[str]) -> dict:
    """One focus ward as named in lmi.toml, shown once: its code on the district's ranking boundary set is the
    profile; its codes on other boundary sets (the same name, a differently drawn area) are shown beside it,
    never joined to it."""
    codes = _by(rows, "ward_code")
    main = next((c for c, rs in codes.items() if rs[0]["on_ranking_set"]), next(iter(codes)))
    first = codes[main][0]
    district = by_lad[first["lad_code"]]
    vintage = district["ranking_vintage"] if first["on_ranking_set"] else max(r["ward_vintage"] for r in codes[main])
    by_indicator = {r["indicator"]: r for r in codes[main]}
    others = [{"ward_code": c, "ward_name": rs[0]["ward_name"], "ward_vintage": max(r["ward_vintage"] for r in rs),
               "figures": rs, "progress": progress.get(c, [])} for c, rs in codes.items() if c != main]
    return {"ward_code": main, "ward_name": first["ward_name"], "focus_name": first["focus_name"],
            "ward_vintage": vintage, "lad_code": first["lad_code"], "lad_name": first["lad_name"],
            "figures": codes[main], "district": district, "others": others,
            "cards": [by_indicator[i] for i in cards if i in by_indicator],
            "priority": ranks.get((main, vintage)), "progress": progress.get(main, []),
            "gaps": ward_gaps.get(main, [])}


# The first screen's "what LMI is missing" for the focus wards, by need status, in this order (held needs are
# not missing; a need held only as a proxy is listed as such).
MISSING_STATUSES = [("not_published", "Not published for small areas (a line of enquiry)"),
                    ("held_proxy", "Only a proxy for the ward"),
                    ("larger_area_only", "Only for larger areas"),
                    ("licensed_only", "Licensed data only"),
                    ("free_key", "Available with a free key"),
                    ("published_not_loaded", "Published for wards, not loaded here"),
                    ("not_available_this_run", "Not available this run")]


def _need_gaps_by_status(rows: list[dict]) -> list[tuple[str, list[str]]]:
    """(status heading, the needs with it for any focus ward), in MISSING_STATUSES order; a need appears under
    the status most of the focus wards share (ties: the first in that order)."""
    by_need: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by_need[r["need_label"]].append("held_proxy" if r["status"] == "held" and r["held_status"] == "proxy"
                                        else r["status"])
    rank = {code: i for i, (code, _) in enumerate(MISSING_STATUSES)}
    shared = {need: min(set(s), key=lambda c: (-s.count(c), rank.get(c, 99))) for need, s in by_need.items()}
    return [(heading, [need for need, s in shared.items() if s == code]) for code, heading in MISSING_STATUSES
            if any(s == code for s in shared.values())]


def build_context(conn: duckdb.DuckDBPyConnection, charts: dict[str, list[EmbeddedChart]],
                  weights: dict[str, float]) -> dict[str, Any]:
    """Everything the template needs: the tables (report_data), the charts by section (`CHART_SECTIONS`) and
    the priority weights the ranking used."""
    data = report_data(conn)
    for r in data["focus_figures"]:
        r["focus_key"] = (r["lad_code"], r["focus_name"])
    meta = data["meta"][0]
    label = meta["data_label"] or "unknown source"
    districts = data["districts"]
    indicators = _by(data["district_indicators"], "lad_code")
    priority = _by(data["priority"], "lad_code")
    progress = _by(data["progress"], "ward_code")
    boundary_sets = _by(data["boundary_sets"], "lad_code")
    sensitivity = _by(data["sensitivity"], "lad_code")
    youth = youth_indicator(meta.get("youth_age_band"))
    ward_gaps = _by(data["focus_gaps"], "ward_code")
    comparison = _by(data["comparison"], "lad_code")
    highest = _by(data["highest"], "lad_code")
    by_lad = {d["lad_code"]: d for d in districts}
    for d in districts:
        d["compared"] = {r["indicator"]: r for r in comparison.get(d["lad_code"], [])}
        d["highest"] = {r["indicator"]: r for r in highest.get(d["lad_code"], [])}
        rows = indicators.get(d["lad_code"], [])
        d["indicators"] = rows
        d["by_indicator"] = {r["indicator"]: r for r in rows}
        d["headline"] = [r for i in _youth_band(HEADLINE_INDICATORS, youth) for r in rows
                         if r["indicator"] == i and r["latest_value"] is not None]
        d["priority"] = priority.get(d["lad_code"], [])
        d["top"] = [r for r in d["priority"] if r["is_top_priority"]]
        d["priority_shown"] = [r for r in d["priority"] if (r["priority_rank"] or 99) <= 5 or r["is_focus"]]
        d["top_by_count"] = [r for r in d["priority"] if r["is_top_by_count"]]
        d["sensitivity"] = sensitivity.get(d["lad_code"], [])
        d["boundary_sets"] = boundary_sets.get(d["lad_code"], [])
        d["ranking_vintage"] = next((b["ward_vintage"] for b in d["boundary_sets"] if b["is_ranking_set"]), None)
        d["boundary_note"] = next((b["boundary_note"] for b in d["boundary_sets"] if b["boundary_note"]), None)
        d["youth"] = d["by_indicator"].get(youth)
    ranks = {(p["ward_code"], p["ward_vintage"]): p for p in data["priority"]}
    wards = [_focus_ward(rows, by_lad, ranks, progress, ward_gaps, _youth_band(WARD_CARDS, youth))
             for rows in _by(data["focus_figures"], "focus_key").values()]
    maps = charts.get("maps", [])
    charts = {section: _embed(charts.get(section, [])) for section in CHART_SECTIONS}
    # As priority_wards states them (a table without wards has none to state).
    weights = dict(weights) if data["priority"] else {}
    sources = Sources(data["sources"])
    return {
        "meta": meta, "label": label, "synthetic": is_synthetic(label), "districts": districts, "wards": wards,
        "comparison_indicators": [(i, next(d["compared"][i]["label"] for d in districts if i in d["compared"]))
                                  for i in COMPARISON_INDICATORS if any(i in d["compared"] for d in districts)],
        "progress_rows": data["progress"], "youth_indicator": youth, "gaps_to_fill": data["gaps_to_fill"], "catalogue": data["catalogue"],
        "sources": sources, "other_requests": data["other_requests"][0], "source_status": data["source_status"], "charts": charts, "weights": weights,
        "dated_months": DATED_AFTER_MONTHS, "plotly_src": PLOTLY_SRC, "short_labels": SHORT_LABELS,
        "county_maps": [charts["maps"][c.key] for c in maps if c.key.startswith("county:")],
        "county_youth_maps": [charts["maps"][c.key] for c in maps if c.key.startswith("county_youth:")],
        "district_maps": {d["lad_code"]: [charts["maps"][c.key] for c in maps if c.key.endswith(":" + d["lad_code"])]
                          for d in districts},
        "generated": datetime.now(timezone.utc).strftime("%d %B %Y %H:%M UTC"),
        "analysis_sql": {
            "lmi_gaps": load_sql(gaps_module, "lmi_gaps"), "lmi_gaps_to_fill": load_sql(gaps_module, "lmi_gaps_to_fill"),
            "ward_boundary_sets": load_sql(priority_module, "ward_boundary_sets"),
            "priority_inputs": load_sql(priority_module, "priority_inputs"),
            "priority_scores": load_sql(priority_module, "priority_scores"),
            "priority_wards": load_sql(priority_module, "priority_wards"),
            "priority_sensitivity": load_sql(priority_module, "priority_sensitivity"),
            "focus_ward_progress": load_sql(progress_module, "focus_ward_progress"),
        },
        "report_sql": QUERIES, "research": research_focus(conn) if data["need_gaps"] else [],
        "need_gaps_by_status": _need_gaps_by_status(data["need_gaps"]),
        "css": Markup((TEMPLATES / "report.css").read_text(encoding="utf-8")),
    }


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=num, change=change, span=span, month=month, mon=mon, stamp=stamp,
                       level=lambda v: LEVEL_NAMES.get(v, v or ""), components=components,
                       reason_names=reason_lines)
    env.globals.update(escape=escape, today=date.today())
    return env


def render_pages(conn: duckdb.DuckDBPyConnection, charts: dict[str, list[EmbeddedChart]],
                 weights: dict[str, float]) -> dict[str, str]:
    """The report and its district comparison page (by their paths under assets/), from the working database, the
    chart assets' outputs by section (the district page's chart under "districts") and lmi.toml's priority weights."""
    env = _environment()
    context = build_context(conn, charts, weights)
    context["comparison_charts"] = list(_embed(charts.get("districts", [])).values())
    cite = context["sources"].cite
    return {
        REPORT: env.get_template("report.html.j2").render(**context, cite=cite),
        DISTRICTS_PAGE: env.get_template("districts.html.j2").render(
            **context, cite=lambda *ids: cite(*ids, page="index.html")),
    }


def render_report(conn: duckdb.DuckDBPyConnection, charts: dict[str, list[EmbeddedChart]],
                  weights: dict[str, float]) -> str:
    """The report's main page alone (tests re-render it from changed copies of the database)."""
    return render_pages(conn, charts, weights)[REPORT]


@dg.asset(group_name="publish", kinds={"html"},
          deps=["lmi_gaps", "lmi_need_gaps", "priority_wards", "priority_sensitivity", "ward_boundary_sets", "focus_ward_progress",
                "ward_indicators", "area_indicators", "indicator_catalogue", "provenance", "ward_lookup", "districts",
                "data_exports"])
def lmi_report(context: dg.AssetExecutionContext, project: ProjectResource, warehouse: WarehouseResource,
               focus_ward_trend_charts: list[EmbeddedChart], youth_claimant_rate_ranking_charts: list[EmbeddedChart],
               ward_small_multiples: list[EmbeddedChart], lmi_gaps_chart: list[EmbeddedChart],
               district_comparison_charts: list[EmbeddedChart], ward_maps: list[EmbeddedChart],
               lmi_need_gaps_chart: list[EmbeddedChart]) -> dg.MaterializeResult:
    """assets/report/index.html: the report a partnership reads in five minutes. Its first two screens show where
    claimant rates are highest (the county map), the focus wards against their district, county, region and
    England, the priority ward per district and why, and what LMI is missing; then the districts compared,
    focus-ward profiles, priority rankings, maps, progress since the baseline, every ward and the gap matrix,
    with methods and provenance folded at the end (every figure links to its upstream query). Beside it,
    report/districts.html compares the districts side by side. Works offline; names are HTML-escaped;
    synthetic demo data is labelled as such throughout.
    """
    charts = {"trend": focus_ward_trend_charts, "ranking": youth_claimant_rate_ranking_charts,
              "small_multiples": ward_small_multiples, "gaps": lmi_gaps_chart,
              "districts": district_comparison_charts, "maps": ward_maps, "need_gaps": lmi_need_gaps_chart}
    with warehouse.get_connection() as conn:
        pages = render_pages(conn, charts, project.areas().priority_weights)
    project.staging_area("lmi_report")
    for relative, page in pages.items():
        project.staged("lmi_report", relative).write_text(page, encoding="utf-8")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(project.published(REPORT).resolve())),
        "districts_page": dg.MetadataValue.path(str(project.published(DISTRICTS_PAGE).resolve())),
        "bytes": sum(len(page.encode("utf-8")) for page in pages.values()),
        **({"notebook": dg.MetadataValue.notebook(str(NOTEBOOK))} if NOTEBOOK.exists() else {}),
    })
