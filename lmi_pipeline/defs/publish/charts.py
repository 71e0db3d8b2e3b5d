"""Plotly charts, written as standalone HTML that works offline (plotly.js is shipped once, beside them),
and what every chart shares: labels, escaping, footnotes, and the file-writing asset pattern.

A chart asset draws each figure once: it writes the figure's file and outputs the same figure as the <div>
the report embeds (`EmbeddedChart`), so the report never draws a chart again."""

import html
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.project import ProjectResource, is_synthetic

CHARTS_DIR = "charts"

FOCUS_RATES_SQL = """
SELECT ward_code AS code, ward_vintage, ward_name AS name, lad_code, lad_name, period, value, lower, upper,
       'ward' AS kind, data_label
FROM ward_indicators WHERE is_focus AND indicator = 'claimant_rate'
UNION ALL
SELECT DISTINCT a.area_code, NULL, a.area_name, a.area_code, a.area_name, a.period, a.value, a.lower, a.upper, 'lad',
       a.data_label
FROM area_indicators a WHERE a.area_level = 'lad' AND a.indicator = 'claimant_rate'
  AND a.area_code IN (SELECT lad_code FROM ward_lookup WHERE is_focus)
UNION ALL
SELECT a.area_code, NULL, a.area_name, NULL, NULL, a.period, a.value, a.lower, a.upper, 'country', a.data_label
FROM area_indicators a WHERE a.area_level = 'country' AND a.indicator = 'claimant_rate'
ORDER BY kind DESC, lad_code, name, ward_vintage DESC, period
"""

# Each district's ward boundary sets when `ward_boundary_sets` is not in the database (one built before it
# existed): the sets with claimant figures, ranked on the newest set among those with the latest month.
FALLBACK_BOUNDARY_SETS_SQL = """
SELECT lad_code, any_value(lad_name) AS lad_name, ward_vintage, count(DISTINCT ward_code) AS n_wards,
       max(period) AS latest_period
FROM ward_indicators
WHERE indicator IN ('claimant_rate', 'claimant_rate_16_24') AND value IS NOT NULL
GROUP BY lad_code, ward_vintage
"""

STYLE = {"ward": {"width": 2.5}, "lad": {"width": 1.5, "dash": "dash"}, "country": {"width": 2, "dash": "dot", "color": "black"}}
# A ward on boundaries rankings do not use: dashed apart from the district's dash, so it never reads as the
# same line as its successor.
OTHER_SET_STYLE = {"width": 2, "dash": "longdash"}


# Plotly's own modebar logo and link go nowhere useful offline.
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
PALETTE = {"ward": "#1f5f99", "focus": "#c2410c", "lad": "#4b5563", "county": "#7c3aed", "combined_authority": "#7c3aed",
           "region": "#059669",
           "country": "#111827", "other": "#94a3b8"}
# Okabe-Ito: distinct for the common colour-vision deficiencies, for series told apart by colour alone.
SERIES_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442"]
CLAIMANT_SOURCES = "DWP claimant count (Nomis NM_162_1); ONS mid-year estimates (Nomis NM_2014_1)"
ROUNDING_NOTE = ("Claimant counts are rounded to the nearest 5, so a ward's rate carries a range (shaded or "
                 "whiskers); not seasonally adjusted")


@dataclass(frozen=True)
class Chart:
    """One chart: where it is published under assets/, and the figure."""

    relative: str  # e.g. "charts/trend_E05011207.html"
    title: str  # plain text, for links and the report
    fig: go.Figure
    key: str = ""  # the area it is about (ward or district GSS code), for the report to place it
    ward_vintage: int | None = None  # the ward boundary set drawn, where the chart is about one


@dataclass(frozen=True)
class EmbeddedChart:
    """A published chart as the report embeds it: its link, title and the figure's <div>, rendered from the
    very figure its file holds (plain text, so it passes between runs' steps as it is)."""

    relative: str
    title: str
    key: str
    div: str


def embedded(chart: Chart) -> EmbeddedChart:
    return EmbeddedChart(chart.relative, chart.title, chart.key,
                         figure_div(chart.fig, "chart-" + safe_name(Path(chart.relative).stem)))


def esc(text: object) -> str:
    """Names come from upstream: escape them before they reach Plotly's HTML-like text (titles, hovers)."""
    return html.escape(str(text), quote=False)


def safe_name(code: str) -> str:
    """A GSS code (or any upstream id) made safe for a file name."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(code))


def labels_of(df: pd.DataFrame) -> str:
    """The data label(s) of the figures drawn, from their own data_label column."""
    labels = sorted({str(v) for v in df["data_label"].dropna()}) if "data_label" in df else []
    return " + ".join(labels) if labels else "unknown source"


def label_banner(label: str) -> str:
    """Synthetic data is shouted, so nobody quotes a made-up number."""
    return f"<b>{esc(label.upper())}</b>" if is_synthetic(label) else esc(label)


NOTE_LINE_CHARS = 170  # a footnote line wider than this runs off a 1200 px chart at the 10 px note font


def chart_note(label: str, source: str, period: str, *notes: str, width: int = NOTE_LINE_CHARS) -> str:
    """Footnote text: the data label and source, then the period and the caveats, one per line; a line longer
    than `width` characters wraps rather than running off the chart."""
    head = f"Source: {source} · {period}"
    if len(label) + 3 + len(head) <= width:
        first = [f"{label_banner(label)} · {esc(head)}"]
    else:
        first = [label_banner(label), *map(esc, textwrap.wrap(head, width))]
    lines = [line for note in notes for line in textwrap.wrap(note, width)]
    return "<br>".join([*first, *map(esc, lines)])


def add_note(fig: go.Figure, text: str, below_px: int = 60) -> None:
    """The footnote under the plot area (call after the layout's height and margins are set)."""
    layout = fig.layout
    plot_px = (layout.height or 450) - (layout.margin.t or 80) - (layout.margin.b or 80)
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0, y=-below_px / max(plot_px, 1),
                       xanchor="left", yanchor="top", showarrow=False, font={"size": 10, "color": "#374151"},
                       align="left")


def month_name(value) -> str:
    return pd.Timestamp(value).strftime("%B %Y")


# plotly.js fetches a world topojson from cdn.plot.ly for every geo subplot (any trace with a locationmode),
# even with the base map hidden and every shape from the figure's own GeoJSON. Registering an empty topology
# under that name first stops the fetch; with geo visible=False nothing is drawn from it.
NO_BASE_MAP_SCRIPT = ('<script>window.PlotlyGeoAssets=window.PlotlyGeoAssets||{{topojson:{{}}}};'
                      'window.PlotlyGeoAssets.topojson["{name}"]={{"type":"Topology","objects":{{}},"arcs":[]}};'
                      '</script>')


def _no_base_map(fig: go.Figure) -> str:
    """The script that keeps a map offline (see NO_BASE_MAP_SCRIPT); empty for a figure without a map."""
    if not any(t.type in ("choropleth", "scattergeo") for t in fig.data):
        return ""
    geo = fig.layout.geo
    return NO_BASE_MAP_SCRIPT.format(name=f"{(geo.scope or 'world').replace(' ', '-')}_{geo.resolution or 110}m")


def figure_div(fig: go.Figure, div_id: str) -> str:
    """The figure as a <div> for a page that loads plotly.min.js itself (JSON is escaped by Plotly)."""
    return _no_base_map(fig) + fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                                           config=PLOTLY_CONFIG)


def _has_table(conn, name: str) -> bool:
    return bool(conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                             [name]).fetchone()[0])


class BoundarySets:
    """Each district's ward boundary sets (vintages), which one rankings use, and how to name a ward so two
    sets are never read as one: after a boundary change Nomis publishes the claimant count on both, and a
    ward name can stand for different areas (and codes) on each."""

    def __init__(self, conn):
        fallback = conn.execute(FALLBACK_BOUNDARY_SETS_SQL).df()
        # Every set with figures counts for naming, even one the table leaves out (its series ended before the
        # latest month): its wards are still drawn, and must not pass for the current set's.
        self._seen = {lad: {int(v) for v in g.ward_vintage} for lad, g in fallback.groupby("lad_code")}
        if _has_table(conn, "ward_boundary_sets"):
            table = conn.execute("SELECT lad_code, lad_name, ward_vintage, n_wards, latest_period, is_ranking_set, "
                                 "boundary_note FROM ward_boundary_sets").df()
            # A district the table does not cover still needs one ranking set, not none.
            fallback = fallback[~fallback.lad_code.isin(table.lad_code)]
        else:
            table = None
        if not fallback.empty:
            fallback = fallback.sort_values(["lad_code", "latest_period", "ward_vintage"],
                                            ascending=[True, False, False])
            fallback["is_ranking_set"] = ~fallback.duplicated("lad_code")
            fallback["boundary_note"] = None
        table = fallback if table is None or table.empty else (
            table if fallback.empty else pd.concat([table, fallback], ignore_index=True))
        table["ward_vintage"] = table["ward_vintage"].astype(int)
        self._sets: dict[str, list[int]] = {}
        self._ranking: dict[str, int] = {}
        self._notes: dict[str, str] = {}
        for lad, g in table.sort_values("ward_vintage", ascending=False).groupby("lad_code", sort=False):
            self._sets[lad] = [int(v) for v in g.ward_vintage]
            ranking = g[g.is_ranking_set.fillna(False).astype(bool)]
            self._ranking[lad] = int((ranking if not ranking.empty else g).ward_vintage.iloc[0])
            if self.changed(lad):
                notes = g.boundary_note.dropna()
                self._notes[lad] = str(notes.iloc[0]) if not notes.empty else self._default_note(lad)

    def _default_note(self, lad: str) -> str:
        ranking = self._ranking[lad]
        others = " and ".join(str(v) for v in sorted(self._all(lad), reverse=True) if v != ranking)
        return (f"Ward boundaries changed: claimant counts are published on {ranking} wards and on the earlier "
                f"{others} wards; rankings use the {ranking} wards; the {others} series is shown beside it, "
                "not joined to it.")

    def _all(self, lad: str) -> set[int]:
        return set(self._sets.get(lad, [])) | self._seen.get(lad, set())

    def changed(self, lad: str) -> bool:
        return len(self._all(lad)) > 1

    def ranking_vintage(self, lad: str) -> int | None:
        return self._ranking.get(lad)

    def note(self, lad: str) -> str | None:
        """NULL unless the district has more than one set."""
        return self._notes.get(lad)

    def set_name(self, vintage) -> str:
        return f"{int(vintage)} wards"

    def ward_label(self, name: str, lad: str, vintage, lad_name: str | None = None) -> str:
        """Plain text (escape it for Plotly): the name, with its boundary set where the district has two (and
        its district, when given): "Park Wood (2022 wards)", "Park Wood (Maidstone, 2022 wards)"."""
        within = [str(lad_name)] if lad_name is not None else []
        if self.changed(lad):
            within.append(self.set_name(vintage))
        return f"{name} ({', '.join(within)})" if within else str(name)

    def area_label(self, lad_name: str, lad: str, vintage) -> str:
        """A district's name, with the boundary set its wards are on where it has two."""
        return f"{lad_name} ({self.set_name(vintage)})" if self.changed(lad) else str(lad_name)


def publish_charts(context: dg.AssetExecutionContext, project, charts: list[Chart]) -> dg.Output[list[EmbeddedChart]]:
    """Write each chart into the staging folder (the metadata links where `published_database` puts them);
    the output is the same charts as the report embeds them."""
    if not charts:
        raise ValueError(f"{context.asset_key.to_user_string()}: nothing to draw; check lmi.toml and the upstream tables.")
    metadata: dict = {"charts": len(charts)}
    owner = context.asset_key.to_user_string()
    project.staging_area(owner)
    for chart in charts:
        write_chart(chart.fig, project.staged(owner, chart.relative))
        metadata[chart.relative] = dg.MetadataValue.path(str(project.published(chart.relative).resolve()))
    return dg.Output([embedded(chart) for chart in charts], metadata=metadata)


def page_title(fig: go.Figure) -> str:
    """The figure's headline (its title up to the first <br>, which starts the subtitle), without markup, for
    a page <title>."""
    headline = re.split(r"<br\s*/?>", fig.layout.title.text or "chart")[0]
    return html.unescape(re.sub(r"<[^>]+>", "", headline)).strip()


def write_chart(fig: go.Figure, path: Path) -> None:
    """Standalone HTML referencing plotly.min.js in the same folder (written once, works offline), titled
    (browser tab, bookmarks, screen readers) with the chart's own title as plain text."""
    page = fig.to_html(include_plotlyjs="directory", full_html=True, config=PLOTLY_CONFIG)
    page = page.replace("<head>", f"<head><title>{html.escape(page_title(fig))}</title>", 1)
    page = page.replace("<body>", "<body>" + _no_base_map(fig), 1)
    path.write_text(page, encoding="utf-8")
    js = path.parent / "plotly.min.js"
    if not js.exists():
        js.write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")


def focus_rates_figure(conn) -> tuple[go.Figure, int, str]:
    """The figure of `claimant_rate_chart`, how many series it draws and the data label of its figures. Each
    focus ward is one series per boundary set (keyed by ward code and vintage, never by name), so a ward whose
    boundaries changed is two lines, named with their set, never one line joining both."""
    df = conn.execute(FOCUS_RATES_SQL).df()
    if df.empty:
        raise ValueError("claimant_rate_chart: no focus-ward claimant rates to draw; check lmi.toml focus_wards.")
    sets = BoundarySets(conn)
    label, latest = labels_of(df), month_name(df["period"].max())
    fig = go.Figure()
    keys = ["kind", "code", "ward_vintage"]
    wards = 0
    for (kind, _, vintage), g in df.groupby(keys, sort=False, dropna=False):
        if kind == "ward":
            lad = g["lad_code"].iloc[0]
            series = sets.ward_label(g["name"].iloc[0], lad, vintage, g["lad_name"].iloc[0])
            other_set = sets.changed(lad) and int(vintage) != sets.ranking_vintage(lad)
            colour = SERIES_COLOURS[wards % len(SERIES_COLOURS)]
            wards += 1
            style = {**(OTHER_SET_STYLE if other_set else STYLE["ward"]), "color": colour}
        else:
            series = f"{g['name'].iloc[0]} (district)" if kind == "lad" else g["name"].iloc[0]
            style = {**STYLE[kind], "color": STYLE[kind].get("color", PALETTE["lad"])}
        series, group = esc(series), f"{kind}:{g['code'].iloc[0]}:{vintage}"
        if kind == "ward":
            fig.add_trace(go.Scatter(x=list(g.period) + list(g.period[::-1]), y=list(g.upper) + list(g.lower[::-1]),
                                     fill="toself", fillcolor=colour, opacity=0.15, line={"width": 0},
                                     hoverinfo="skip", showlegend=False, legendgroup=group))
        fig.add_trace(go.Scatter(x=g.period, y=g.value, name=series, mode="lines", line=style, legendgroup=group,
                                 hovertemplate="%{x|%b %Y}: %{y:.1f}%<extra>" + series + "</extra>"))
    notes = [sets.note(lad) for lad in dict.fromkeys(df.loc[df.kind == "ward", "lad_code"]) if sets.note(lad)]
    fig.update_layout(
        title={"text": f"Claimant rate, focus wards vs district and England — {esc(label)}"},
        yaxis_title="% of residents aged 16-64", xaxis_title=None, template="plotly_white", height=640 + 28 * len(notes),
        legend={"orientation": "h", "y": -0.1, "yanchor": "top"}, margin={"t": 70, "b": 210 + 28 * len(notes)},
    )
    add_note(fig, chart_note(label, CLAIMANT_SOURCES, f"to {latest}", ROUNDING_NOTE, *notes), below_px=110)
    return fig, len(df.groupby(keys, sort=False, dropna=False)), label


@dg.asset(group_name="publish", kinds={"plotly", "html"},
          deps=["ward_indicators", "area_indicators", "provenance", "ward_boundary_sets"])
def claimant_rate_chart(context: dg.AssetExecutionContext, project: ProjectResource,
                        warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Line chart: the claimant rate (% of residents aged 16-64) of each focus ward against its district
    and England, monthly. Shading shows the range the count's rounding to 5 allows. Built into the
    staging folder; `published_database` moves it to assets/charts/ when the whole run has succeeded.
    """
    with warehouse.get_connection() as conn:
        fig, series, label = focus_rates_figure(conn)
    relative = f"{CHARTS_DIR}/claimant_rate_focus_wards.html"
    project.staging_area("claimant_rate_chart")
    write_chart(fig, project.staged("claimant_rate_chart", relative))
    final = project.published(relative).resolve()
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(final)), "series": series, "data_label": label,
    })
