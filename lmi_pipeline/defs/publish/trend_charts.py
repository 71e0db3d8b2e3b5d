"""Time series of each focus ward against its district and the larger areas its district is compared with."""

import dagster as dg
import duckdb
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lmi_pipeline.defs.publish.charts import (
    PALETTE, ROUNDING_NOTE, Chart, add_note, chart_note, esc, labels_of, month_name, publish_charts, safe_name)
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource

FOCUS_TRENDS_SQL = """
SELECT w.ward_code, w.ward_name, w.lad_name, l.county_name, l.combined_authority_name, l.region_name,
       l.country_name, w.indicator, w.period, w.value, w.lower, w.upper, w.numerator, w.small_number, w.lad_value,
       w.county_value, w.combined_authority_value, w.region_value, w.country_value, w.status, w.data_label
FROM ward_indicators w
JOIN ward_lookup l ON l.ward_code = w.ward_code AND l.ward_vintage = w.ward_vintage
WHERE w.is_focus AND w.indicator IN ('claimant_rate', 'claimant_rate_16_24')
ORDER BY w.lad_code, w.ward_name, w.indicator, w.period
"""

PANELS = {"claimant_rate": "Claimant rate, % of residents aged 16-64 (official)",
          "claimant_rate_16_24": "Youth claimant rate, % of residents aged 16-24 (derived)"}
BENCHMARKS = [("lad_value", "lad_name", "lad", "dash"), ("county_value", "county_name", "county", "dot"),
              ("combined_authority_value", "combined_authority_name", "combined_authority", "dot"),
              ("region_value", "region_name", "region", "dashdot"), ("country_value", "country_name", "country", "dot")]


def benchmark_names(ward) -> list[str]:
    """The areas a ward's figures are drawn against, in order: its district, then the larger areas held."""
    names = [ward["lad_name"].iloc[0]]
    for value_col, name_col, _, _ in BENCHMARKS[1:]:
        if ward[value_col].notna().any() and ward[name_col].notna().any():
            names.append(ward[name_col].dropna().iloc[0])
    return names


def focus_trend_charts(conn: duckdb.DuckDBPyConnection) -> list[Chart]:
    df = conn.execute(FOCUS_TRENDS_SQL).df()
    charts = []
    for ward_code, ward in df.groupby("ward_code", sort=False):
        name, lad = ward["ward_name"].iloc[0], ward["lad_name"].iloc[0]
        label = labels_of(ward)
        fig = make_subplots(rows=1, cols=2, subplot_titles=[PANELS[i] for i in PANELS], horizontal_spacing=0.08)
        for col, (indicator, g) in enumerate(((i, ward[ward.indicator == i]) for i in PANELS), start=1):
            first = col == 1
            fig.add_trace(go.Scatter(x=list(g.period) + list(g.period[::-1]), y=list(g.upper) + list(g.lower[::-1]),
                                     fill="toself", fillcolor="rgba(194,65,12,0.15)", line={"width": 0},
                                     hoverinfo="skip", showlegend=first, name="range rounding allows",
                                     legendgroup="range"), row=1, col=col)
            fig.add_trace(go.Scatter(x=g.period, y=g.value, mode="lines", name=esc(name), legendgroup="ward",
                                     showlegend=first, line={"color": PALETTE["focus"], "width": 2.5},
                                     customdata=g[["numerator", "lower", "upper"]].to_numpy(),
                                     hovertemplate="%{x|%b %Y}: %{y:.1f}% (range %{customdata[1]:.1f}-"
                                                   "%{customdata[2]:.1f}; %{customdata[0]:.0f} claimants)"
                                                   f"<extra>{esc(name)}</extra>"), row=1, col=col)
            for value_col, name_col, kind, dash in BENCHMARKS:
                if g[value_col].notna().any():
                    area = g[name_col].dropna().iloc[0] if g[name_col].notna().any() else kind
                    fig.add_trace(go.Scatter(x=g.period, y=g[value_col], mode="lines", name=esc(area),
                                             legendgroup=kind, showlegend=first,
                                             line={"color": PALETTE[kind], "width": 1.5, "dash": dash},
                                             hovertemplate=f"%{{x|%b %Y}}: %{{y:.1f}}%<extra>{esc(area)}</extra>"),
                                  row=1, col=col)
        first, last = ward["period"].min(), ward["period"].max()
        fig.update_yaxes(rangemode="tozero", ticksuffix="%")
        fig.update_layout(
            title={"text": f"{esc(name)} ({esc(lad)}): claimant rates against "
                           f"{esc(', '.join(benchmark_names(ward)))}<br><sup>{month_name(first)} to {month_name(last)} · {esc(label)}</sup>"},
            template="plotly_white", height=560, margin={"b": 170, "t": 90},
            legend={"orientation": "h", "y": -0.12},
        )
        add_note(fig, chart_note(label, "DWP claimant count (Nomis NM_162_1); ONS mid-year estimates (Nomis NM_2014_1)",
                                 f"{month_name(first)} to {month_name(last)}", ROUNDING_NOTE,
                                 "youth rates derived by lmi-pipeline, not official statistics"), below_px=75)
        charts.append(Chart(f"charts/trend_{safe_name(ward_code)}.html", f"{name} ({lad}): claimant rates over time", fig,
                            ward_code))
    return charts


@dg.asset(group_name="publish", kinds={"plotly", "html"}, deps=["ward_indicators", "ward_lookup"])
def focus_ward_trend_charts(context: dg.AssetExecutionContext, project: ProjectResource,
                            warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One chart per focus ward (assets/charts/trend_<ward code>.html): its claimant rate and youth claimant
    rate every month against its district and the areas the district is compared with (county, combined
    authority, region, country: those that exist), with the range the nearest-5
    rounding of its counts allows shaded. Built into the staging folder; published with the database.
    """
    with warehouse.get_connection() as conn:
        charts = focus_trend_charts(conn)
    return publish_charts(context, project, charts)
