"""Research focus: for each focus ward, what the data say, what is known only for larger areas, and what no
published LMI answers (the candidate lines of enquiry for primary research, each with its nearest proxy).

Built from lmi_need_gaps and lmi_gaps alone (the needs catalogue and the gap statuses), never written per ward:
a need held for the ward goes under "what the data say"; held only as a proxy, only for a larger area, only under
a licence or not published at all, under the lines of enquiry; published for the ward but not loaded here, or
behind a free key, under "what could be added". Rendered as Markdown (assets/research/<ward code>.md) and read by
the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import duckdb

# One row per focus ward (one per name in lmi.toml, on its district's ranking boundary set where it has a code
# there, else its newest) x need, with the figure the gap matrix found for it.
RESEARCH_FOCUS_SQL = """
WITH focus AS (
    SELECT w.ward_code, w.ward_name, w.lad_code, w.lad_name, w.focus_name, w.ward_vintage,
           coalesce(s.is_ranking_set, false) AS on_ranking_set
    FROM ward_lookup w
    LEFT JOIN ward_boundary_sets s ON s.lad_code = w.lad_code AND s.ward_vintage = w.ward_vintage
    WHERE w.is_focus
    QUALIFY row_number() OVER (PARTITION BY w.lad_code, w.focus_name
                               ORDER BY on_ranking_set DESC, w.ward_vintage DESC, w.ward_code) = 1
)
SELECT f.ward_code, f.ward_name, f.lad_code, f.lad_name, f.focus_name, f.ward_vintage,
       n.need_position, n.need_id, n.need_label, n.question, n.status, n.held_status, n.available_level,
       n.available_area_name, n.indicator, n.indicator_label, n.source_to_add, n.source_url, n.latest_period,
       n.is_stale, n.is_dated, n.what_to_do, n.why_not_published, n.limits, n.data_label,
       g.latest_value, g.latest_lower, g.latest_upper, g.unit, g.small_number
FROM focus f
JOIN lmi_need_gaps n ON n.place_level = 'ward' AND n.place_code = f.ward_code
LEFT JOIN lmi_gaps g ON g.place_level = 'ward' AND g.place_code = f.ward_code AND g.indicator = n.indicator
ORDER BY f.lad_code, f.focus_name, n.need_position
"""

LEVEL_WORDS = {"lad": "district", "county": "county", "region": "region", "country": "country",
               "ward (other boundaries)": "the ward on other boundaries"}
# Statuses whose need the ward's own published figures do not answer: the lines of enquiry.
ENQUIRY = ("larger_area_only", "licensed_only", "not_published")
TO_ADD = ("published_not_loaded", "free_key")


@dataclass
class WardFocus:
    ward_code: str
    ward_name: str
    lad_name: str
    ward_vintage: int
    data_label: str
    data_say: list[str] = field(default_factory=list)
    larger_areas: list[str] = field(default_factory=list)
    enquiries: list[str] = field(default_factory=list)
    to_add: list[str] = field(default_factory=list)
    not_this_run: list[str] = field(default_factory=list)
    enquiry_needs: list[str] = field(default_factory=list)  # need ids, in order: what a test checks


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _figure(r: dict) -> str:
    """'8.5% (8.3–8.7%, the range rounding to 5 allows), October 2026' — never more precision than the source."""
    if _missing(r["latest_value"]):
        return "held, no value in its latest period"
    pct = r["unit"] == "%"
    value = f"{r['latest_value']:.1f}%" if pct else f"{r['latest_value']:,.0f}"
    shown = ""
    if not _missing(r["latest_lower"]) and not _missing(r["latest_upper"]):
        low, high = ((f"{r['latest_lower']:.1f}", f"{r['latest_upper']:.1f}") if pct
                     else (f"{r['latest_lower']:,.0f}", f"{r['latest_upper']:,.0f}"))
        if low != high:
            shown = f" ({low}–{high}{'%' if pct else ''})"
    period = r["latest_period"].strftime("%B %Y") if r["latest_period"] else ""
    return f"{value}{shown}, {period}"


def _flags(r: dict) -> str:
    flags = [r["held_status"]] if r.get("held_status") and r["held_status"] != "official" else []
    flags += ["small number"] if r.get("small_number") else []
    flags += ["stale: a newer release was due"] if r.get("is_stale") else []
    flags += ["dated"] if r.get("is_dated") else []
    return f" [{'; '.join(flags)}]" if flags else ""


def _limits(r: dict) -> str:
    return f" Limits: {r['limits']}." if r.get("limits") else ""


def research_focus(conn: duckdb.DuckDBPyConnection) -> list[WardFocus]:
    """Every focus ward's research focus, from lmi_need_gaps and lmi_gaps."""
    cursor = conn.execute(RESEARCH_FOCUS_SQL)
    names = [d[0] for d in cursor.description]
    wards: dict[str, WardFocus] = {}
    for r in (dict(zip(names, row)) for row in cursor.fetchall()):
        w = wards.setdefault(r["ward_code"], WardFocus(r["ward_code"], r["ward_name"], r["lad_name"],
                                                        int(r["ward_vintage"]), r["data_label"] or ""))
        w.data_label = w.data_label or (r["data_label"] or "")
        need, status = r["need_label"], r["status"]
        if status == "held" and r["held_status"] != "proxy":
            w.data_say.append(f"{need}: {r['indicator_label']} {_figure(r)}{_flags(r)}.{_limits(r)}")
        elif status == "not_available_this_run":
            w.not_this_run.append(f"{need}: {r['what_to_do']}.")
        elif status in TO_ADD:
            w.to_add.append(f"{need}: {r['what_to_do']}.")
        else:  # held only as a proxy, or one of ENQUIRY: no published figure answers it for the ward
            w.enquiry_needs.append(r["need_id"])
            if status == "held":
                nearest = f"nearest proxy: {r['indicator_label']} for the ward, {_figure(r)}{_flags(r)}.{_limits(r)}"
            elif status == "larger_area_only" and r["indicator"]:
                where = r["available_area_name"] or LEVEL_WORDS.get(r["available_level"], r["available_level"])
                level = LEVEL_WORDS.get(r["available_level"], r["available_level"])
                nearest = (f"nearest: {r['indicator_label']} for {where} ({level}), {_figure(r)}{_flags(r)}; "
                           f"it describes the larger area, not the ward.{_limits(r)}")
                w.larger_areas.append(f"{need}: {r['indicator_label']}, {where} ({level}) {_figure(r)}{_flags(r)}.")
            elif status == "larger_area_only":
                level = LEVEL_WORDS.get(r["available_level"], r["available_level"])
                nearest = f"nearest: {r['source_to_add']}, published for the {level} only."
                w.larger_areas.append(f"{need}: published for the {level} only ({r['source_to_add']}).")
            elif status == "licensed_only":
                nearest = f"nearest: {r['source_to_add']}, under licence only."
            else:
                nearest = "no proxy is published." + (f" {r['why_not_published']}" if r["why_not_published"] else "")
            w.enquiries.append(f"{need} ({r['question']}) — {nearest}")
    return list(wards.values())


def render_markdown(w: WardFocus) -> str:
    """The research focus of one ward, as Markdown, labelled with its data label."""
    def section(title: str, items: list[str], empty: str) -> list[str]:
        return [f"## {title}", "", *([f"- {i}" for i in items] or [empty]), ""]

    label = w.data_label.upper() if "synthetic" in w.data_label else w.data_label
    return "\n".join([
        f"# Research focus: {w.ward_name} ({w.lad_name}, {w.ward_code}, {w.ward_vintage} ward boundaries)", "",
        f"Data: **{label}**. Generated by lmi-pipeline from the LMI needs catalogue and the gap statuses "
        "(tables `lmi_needs`, `lmi_need_gaps`); claimant counts are rounded to 5 and not seasonally adjusted; "
        "derived and proxy figures are not official statistics.", "",
        *section("What the data say", w.data_say, "Nothing is held for the ward itself."),
        *section("Known only for larger areas", w.larger_areas, "Nothing."),
        *section("What no published LMI answers for the ward: lines of enquiry for primary research",
                 w.enquiries, "None: every need in the catalogue has a published figure for the ward."),
        *section("What could be added to the pipeline", w.to_add, "Nothing: every open source is loaded."),
        *(section("Not available this run", w.not_this_run, "") if w.not_this_run else []),
    ])
