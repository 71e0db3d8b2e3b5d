"""Plotly charts, written as standalone HTML that works offline (plotly.js is shipped once, beside them),
and what every chart shares: labels, escaping, footnotes, and the file-writing asset pattern."""

import html
import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import plotly.graph_objects as go
import plotly.offline

from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource

CHARTS_DIR = "charts"

FOCUS_RATES_SQL = """
SELECT ward_name || ' (' || lad_name || ')' AS series, period, value, lower, upper, small_number, 'ward' AS kind
FROM ward_indicators WHERE is_focus AND indicator = 'claimant_rate'
UNION ALL
SELECT DISTINCT a.area_name || ' (district)', a.period, a.value, a.lower, a.upper, false, 'lad'
FROM area_indicators a WHERE a.area_level = 'lad' AND a.indicator = 'claimant_rate'
  AND a.area_code IN (SELECT lad_code FROM ward_lookup WHERE is_focus)
UNION ALL
SELECT a.area_name, a.period, a.value, a.lower, a.upper, false, 'country'
FROM area_indicators a WHERE a.area_level = 'country' AND a.indicator = 'claimant_rate'
ORDER BY kind DESC, series, period
"""

STYLE = {"ward": {"width": 2.5}, "lad": {"width": 1.5, "dash": "dash"}, "country": {"width": 2, "dash": "dot", "color": "black"}}


def data_label(conn) -> str:
    labels = [r[0] for r in conn.execute("SELECT DISTINCT data_label FROM provenance ORDER BY 1").fetchall()]
    return " + ".join(labels) if labels else "unknown source"


# Plotly's own modebar logo and link go nowhere useful offline.
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
PALETTE = {"ward": "#1f5f99", "focus": "#c2410c", "lad": "#4b5563", "county": "#7c3aed", "combined_authority": "#7c3aed",
           "region": "#059669",
           "country": "#111827", "other": "#94a3b8"}
ROUNDING_NOTE = ("Claimant counts are rounded to the nearest 5, so a ward's rate carries a range (shaded or "
                 "whiskers); not seasonally adjusted")


@dataclass(frozen=True)
class Chart:
    """One chart: where it is published under assets/, and the figure."""

    relative: str  # e.g. "charts/trend_E05011207.html"
    title: str  # plain text, for links and the report
    fig: go.Figure
    key: str = ""  # the area it is about (ward or district GSS code), for the report to place it


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
    return f"<b>{esc(label.upper())}</b>" if "synthetic" in label else esc(label)


def chart_note(label: str, source: str, period: str, *notes: str) -> str:
    """Footnote text: the data label and source, then the period and the caveats, one per line."""
    return "<br>".join([f"{label_banner(label)} · Source: {esc(source)} · {esc(period)}", *map(esc, notes)])


def add_note(fig: go.Figure, text: str, below_px: int = 60) -> None:
    """The footnote under the plot area (call after the layout's height and margins are set)."""
    layout = fig.layout
    plot_px = (layout.height or 450) - (layout.margin.t or 80) - (layout.margin.b or 80)
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0, y=-below_px / max(plot_px, 1),
                       xanchor="left", yanchor="top", showarrow=False, font={"size": 10, "color": "#374151"},
                       align="left")


def month_name(value) -> str:
    return pd.Timestamp(value).strftime("%B %Y")


def figure_div(fig: go.Figure, div_id: str) -> str:
    """The figure as a <div> for a page that loads plotly.min.js itself (JSON is escaped by Plotly)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG)


def publish_charts(context: dg.AssetExecutionContext, project, charts: list[Chart]) -> dg.MaterializeResult:
    """Write each chart into the staging folder; the metadata links where `published_database` puts them."""
    if not charts:
        raise ValueError(f"{context.asset_key.to_user_string()}: nothing to draw; check lmi.toml and the upstream tables.")
    metadata: dict = {"charts": len(charts)}
    owner = context.asset_key.to_user_string()
    project.staging_area(owner)
    for chart in charts:
        write_chart(chart.fig, project.staged(owner, chart.relative))
        metadata[chart.relative] = dg.MetadataValue.path(str(project.published(chart.relative).resolve()))
    return dg.MaterializeResult(metadata=metadata)


def write_chart(fig: go.Figure, path: Path) -> None:
    """Standalone HTML referencing plotly.min.js in the same folder (written once, works offline)."""
    fig.write_html(path, include_plotlyjs="directory", full_html=True, config=PLOTLY_CONFIG)
    js = path.parent / "plotly.min.js"
    if not js.exists():
        js.write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")


def footnote(label: str, period: str) -> str:
    return (f"<b>{label.upper()}</b> · Source: DWP claimant count (Nomis NM_162_1), ONS mid-year estimates "
            f"(Nomis NM_2014_1) · to {period} · Counts are rounded to the nearest 5, so small-ward rates "
            "carry a range (shaded) · Not seasonally adjusted")


@dg.asset(group_name="publish", kinds={"plotly", "html"}, deps=["ward_indicators", "area_indicators", "provenance"])
def claimant_rate_chart(context: dg.AssetExecutionContext, project: ProjectResource,
                        warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Line chart: the claimant rate (% of residents aged 16-64) of each focus ward against its district
    and England, monthly. Shading shows the range the count's rounding to 5 allows. Built into the
    staging folder; `published_database` moves it to assets/charts/ when the whole run has succeeded.
    """
    with warehouse.get_connection() as conn:
        df = conn.execute(FOCUS_RATES_SQL).df()
        label = data_label(conn)
    if df.empty:
        raise ValueError("claimant_rate_chart: no focus-ward claimant rates to draw; check lmi.toml focus_wards.")
    latest = df["period"].max().strftime("%B %Y")
    fig = go.Figure()
    for (series, kind), g in df.groupby(["series", "kind"], sort=False):
        if kind == "ward":
            fig.add_trace(go.Scatter(x=list(g.period) + list(g.period[::-1]), y=list(g.upper) + list(g.lower[::-1]),
                                     fill="toself", opacity=0.15, line={"width": 0}, hoverinfo="skip",
                                     showlegend=False, legendgroup=series))
        fig.add_trace(go.Scatter(x=g.period, y=g.value, name=series, mode="lines", line=STYLE[kind], legendgroup=series,
                                 hovertemplate="%{x|%b %Y}: %{y:.1f}%<extra>" + series + "</extra>"))
    fig.update_layout(
        title={"text": f"Claimant rate, focus wards vs district and England — {label}"},
        yaxis_title="% of residents aged 16-64", xaxis_title=None, template="plotly_white",
        legend={"orientation": "h", "y": -0.15}, margin={"b": 140},
        annotations=[{"text": footnote(label, latest), "xref": "paper", "yref": "paper", "x": 0, "y": -0.32,
                      "showarrow": False, "font": {"size": 10}, "align": "left"}],
    )
    relative = f"{CHARTS_DIR}/claimant_rate_focus_wards.html"
    project.staging_area("claimant_rate_chart")
    write_chart(fig, project.staged("claimant_rate_chart", relative))
    final = project.published(relative).resolve()
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(final)), "series": int(df["series"].nunique()), "data_label": label,
    })
