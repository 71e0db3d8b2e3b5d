"""Time series of each focus ward against its district and the larger areas its district is compared with."""

import dagster as dg
import duckdb
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lmi_pipeline.defs.publish.charts import (
    CLAIMANT_SOURCES, PALETTE, ROUNDING_NOTE, BoundarySets, Chart, EmbeddedChart, add_note, chart_note, esc,
    labels_of, month_name, publish_charts, safe_name)
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.database.storage import WarehouseResource

FOCUS_TRENDS_SQL = """
SELECT w.ward_code, w.ward_name, w.ward_vintage, w.lad_code, w.lad_name, l.focus_name, l.county_name,
       l.combined_authority_name, l.region_name, l.country_name, w.indicator, w.period, w.value, w.lower, w.upper,
       w.numerator, w.small_number, w.lad_value, w.county_value, w.combined_authority_value, w.region_value,
       w.country_value, w.status, w.data_label
FROM ward_indicators w
JOIN ward_lookup l ON l.ward_code = w.ward_code AND l.ward_vintage = w.ward_vintage
WHERE w.is_focus AND w.indicator IN ('claimant_rate', 'claimant_rate_16_24')
ORDER BY w.lad_code, w.ward_name, w.ward_vintage DESC, w.indicator, w.period
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


def _counterparts(df, lad: str, focus_name, vintage: int) -> list[tuple]:
    """The same configured focus ward on the district's other boundary sets (ward code, vintage): drawn beside
    the ward, never joined to it, since the two are different areas with different codes."""
    if focus_name is None or focus_name != focus_name:  # NULL or NaN: nothing says which ward succeeds it
        return []
    others = df[(df.lad_code == lad) & (df.focus_name == focus_name) & (df.ward_vintage != vintage)]
    return list(dict.fromkeys(zip(others.ward_code, others.ward_vintage)))


def focus_trend_charts(conn: duckdb.DuckDBPyConnection) -> list[Chart]:
    """One chart per focus ward per boundary set it has figures on (keyed by ward code and vintage, never by
    name). Where the district's boundaries changed, the same focus ward on the other set is drawn beside it
    as its own dashed line, both named with their set, and the chart's note says how the boundaries changed."""
    df = conn.execute(FOCUS_TRENDS_SQL).df()
    sets = BoundarySets(conn)
    subjects = list(df.groupby(["ward_code", "ward_vintage"], sort=False))
    codes = [code for (code, _), _ in subjects]
    charts = []
    for (ward_code, vintage), ward in subjects:
        lad_code, name, lad = ward["lad_code"].iloc[0], ward["ward_name"].iloc[0], ward["lad_name"].iloc[0]
        changed = sets.changed(lad_code)
        shown = sets.ward_label(name, lad_code, vintage)
        others = [df[(df.ward_code == c) & (df.ward_vintage == v)]
                  for c, v in _counterparts(df, lad_code, ward["focus_name"].iloc[0], vintage)]
        drawn = [ward, *others]
        label = labels_of(pd.concat(drawn))
        fig = make_subplots(rows=1, cols=2, subplot_titles=[PANELS[i] for i in PANELS], horizontal_spacing=0.08)
        for col, indicator in enumerate(PANELS, start=1):
            g = ward[ward.indicator == indicator]
            first = col == 1
            fig.add_trace(go.Scatter(x=list(g.period) + list(g.period[::-1]), y=list(g.upper) + list(g.lower[::-1]),
                                     fill="toself", fillcolor="rgba(194,65,12,0.15)", line={"width": 0},
                                     hoverinfo="skip", showlegend=first, name="range rounding allows",
                                     legendgroup="range"), row=1, col=col)
            fig.add_trace(go.Scatter(x=g.period, y=g.value, mode="lines", name=esc(shown), legendgroup="ward",
                                     showlegend=first, line={"color": PALETTE["focus"], "width": 2.5},
                                     customdata=g[["numerator", "lower", "upper"]].to_numpy(),
                                     hovertemplate="%{x|%b %Y}: %{y:.1f}% (range %{customdata[1]:.1f}-"
                                                   "%{customdata[2]:.1f}; %{customdata[0]:.0f} claimants)"
                                                   f"<extra>{esc(shown)}</extra>"), row=1, col=col)
            for other in others:
                o = other[other.indicator == indicator]
                o_code, o_vintage = other["ward_code"].iloc[0], int(other["ward_vintage"].iloc[0])
                o_name = esc(sets.ward_label(other["ward_name"].iloc[0], lad_code, o_vintage))
                fig.add_trace(go.Scatter(x=o.period, y=o.value, mode="lines", name=o_name,
                                         legendgroup=f"set:{o_code}:{o_vintage}", showlegend=first,
                                         line={"color": PALETTE["ward"], "width": 2, "dash": "longdash"},
                                         customdata=o[["numerator", "lower", "upper"]].to_numpy(),
                                         hovertemplate="%{x|%b %Y}: %{y:.1f}% (range %{customdata[1]:.1f}-"
                                                       "%{customdata[2]:.1f}; %{customdata[0]:.0f} claimants)"
                                                       f"<extra>{o_name}</extra>"), row=1, col=col)
            for value_col, name_col, kind, dash in BENCHMARKS:
                if g[value_col].notna().any():
                    area = g[name_col].dropna().iloc[0] if g[name_col].notna().any() else kind
                    fig.add_trace(go.Scatter(x=g.period, y=g[value_col], mode="lines", name=esc(area),
                                             legendgroup=kind, showlegend=first,
                                             line={"color": PALETTE[kind], "width": 1.5, "dash": dash},
                                             hovertemplate=f"%{{x|%b %Y}}: %{{y:.1f}}%<extra>{esc(area)}</extra>"),
                                  row=1, col=col)
        periods = [w["period"] for w in drawn]
        first, last = min(p.min() for p in periods), max(p.max() for p in periods)
        note = sets.note(lad_code) if changed else None
        fig.update_yaxes(rangemode="tozero", ticksuffix="%")
        fig.update_layout(
            title={"text": f"{esc(sets.ward_label(name, lad_code, vintage, lad))}: claimant rates against "
                           f"{esc(', '.join(benchmark_names(ward)))}<br><sup>{month_name(first)} to {month_name(last)} · {esc(label)}</sup>"},
            template="plotly_white", height=560 + (30 if note else 0),
            margin={"b": 170 + (30 if note else 0), "t": 90},
            legend={"orientation": "h", "y": -0.12},
        )
        add_note(fig, chart_note(label, CLAIMANT_SOURCES,
                                 f"{month_name(first)} to {month_name(last)}", ROUNDING_NOTE,
                                 "youth rates derived by lmi-pipeline, not official statistics",
                                 *([note] if note else [])), below_px=75)
        # The file and the report's key stay the ward code; only a code that is on two sets (an unchanged ward
        # Nomis publishes on both) needs its set to tell the charts apart, the ranking set keeping the plain name.
        own = codes.count(ward_code) == 1 or int(vintage) == sets.ranking_vintage(lad_code)
        key = ward_code if own else f"{ward_code}_{int(vintage)}"
        charts.append(Chart(f"charts/trend_{safe_name(key)}.html",
                            f"{sets.ward_label(name, lad_code, vintage, lad)}: claimant rates over time", fig,
                            key, int(vintage)))
    return charts


@dg.asset(group_name="publish", kinds={"plotly", "html"}, deps=["ward_indicators", "ward_lookup", "ward_boundary_sets"])
def focus_ward_trend_charts(context: dg.AssetExecutionContext, project: ProjectResource,
                            warehouse: WarehouseResource) -> dg.Output[list[EmbeddedChart]]:
    """One chart per focus ward (assets/charts/trend_<ward code>.html): its claimant rate and youth claimant
    rate every month against its district and the areas the district is compared with (county, combined
    authority, region, country: those that exist), with the range the nearest-5
    rounding of its counts allows shaded. Built into the staging folder; published with the database.
    """
    with warehouse.get_connection() as conn:
        charts = focus_trend_charts(conn)
    return publish_charts(context, project, charts)
