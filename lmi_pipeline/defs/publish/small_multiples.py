"""Every ward of each district in a grid of small charts, each against the district."""

import math

import dagster as dg
import duckdb
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lmi_pipeline.defs.publish.charts import (
    PALETTE, ROUNDING_NOTE, BoundarySets, Chart, EmbeddedChart, add_note, chart_note, esc, labels_of, month_name,
    publish_charts, safe_name)
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.database.storage import WarehouseResource

WARD_SERIES_SQL = """
SELECT lad_code, lad_name, ward_code, ward_name, ward_vintage, is_focus, period, value, lad_value, small_number,
       data_label
FROM ward_indicators WHERE indicator = 'claimant_rate'
ORDER BY lad_code, ward_vintage DESC, ward_name, ward_code, period
"""
COLUMNS = 6


def small_multiples_charts(conn: duckdb.DuckDBPyConnection) -> list[Chart]:
    """One grid per district and boundary set, one panel per ward of that set: the ranking set's grid is the
    district's (the report shows it), each other set's is published beside it, so no grid mixes two sets."""
    df = conn.execute(WARD_SERIES_SQL).df()
    sets = BoundarySets(conn)
    charts = []
    for (lad_code, vintage), g in df.groupby(["lad_code", "ward_vintage"], sort=False):
        lad, label, vintage = g["lad_name"].iloc[0], labels_of(g), int(vintage)
        place = sets.area_label(lad, lad_code, vintage)
        ranking = vintage == sets.ranking_vintage(lad_code)
        wards = list(g.groupby(["ward_code", "ward_vintage"], sort=False))
        rows = math.ceil(len(wards) / COLUMNS)
        titles = [(f"<b>{esc(w.ward_name.iloc[0])}</b> (focus)" if w.is_focus.iloc[0] else esc(w.ward_name.iloc[0]))
                  for _, w in wards]
        fig = make_subplots(rows=rows, cols=COLUMNS, shared_xaxes="all", shared_yaxes="all", subplot_titles=titles,
                            vertical_spacing=0.35 / rows, horizontal_spacing=0.02)
        for i, (_, w) in enumerate(wards):
            row, col = divmod(i, COLUMNS)
            name = esc(w.ward_name.iloc[0])
            fig.add_trace(go.Scatter(x=w.period, y=w.lad_value, mode="lines", name=esc(lad), legendgroup="lad",
                                     showlegend=i == 0, line={"color": PALETTE["other"], "width": 1},
                                     hovertemplate=f"%{{x|%b %Y}}: %{{y:.1f}}%<extra>{esc(lad)}</extra>"),
                          row=row + 1, col=col + 1)
            fig.add_trace(go.Scatter(x=w.period, y=w.value, mode="lines", name="ward", legendgroup="ward",
                                     showlegend=i == 0,
                                     line={"color": PALETTE["focus" if w.is_focus.iloc[0] else "ward"], "width": 1.5},
                                     hovertemplate=f"%{{x|%b %Y}}: %{{y:.1f}}%<extra>{name}</extra>"),
                          row=row + 1, col=col + 1)
        first, last = month_name(g["period"].min()), month_name(g["period"].max())
        fig.update_annotations(font_size=10)
        fig.update_yaxes(ticksuffix="%", rangemode="tozero", tickfont={"size": 9})
        fig.update_xaxes(tickfont={"size": 9}, dtick="M48", tickformat="%Y")
        fig.update_layout(
            title={"text": f"Claimant rate of every ward in {esc(place)}, {first} to {last}<br><sup>Each ward (blue; "
                           f"focus wards orange) against {esc(lad)} (grey), % of residents aged 16-64 · "
                           f"{esc(label)}</sup>"},
            template="plotly_white", height=170 * rows + 240, margin={"t": 110, "b": 130}, showlegend=False)
        note = sets.note(lad_code)
        add_note(fig, chart_note(label, "DWP claimant count (Nomis NM_162_1)", f"{first} to {last}", ROUNDING_NOTE,
                                 "flat steps in small wards are the rounding of small counts, not real stability",
                                 *([note] if note else [])),
                 below_px=40)
        # The district's own file and report key stay those of its ranking set; another set's grid is named by it.
        key = lad_code if ranking else f"{lad_code}_{vintage}"
        charts.append(Chart(f"charts/small_multiples_{safe_name(key)}.html",
                            f"Claimant rate of every ward in {place}", fig, key, vintage))
    return charts


@dg.asset(group_name="publish", kinds={"plotly", "html"}, deps=["ward_indicators", "ward_boundary_sets"])
def ward_small_multiples(context: dg.AssetExecutionContext, project: ProjectResource,
                         warehouse: WarehouseResource) -> dg.Output[list[EmbeddedChart]]:
    """A grid of small charts per district (assets/charts/small_multiples_<district code>.html): the
    claimant rate of every ward, month by month, each against the district's rate, on shared axes so wards
    compare at a glance. Focus wards are highlighted. A district whose boundaries changed has one grid per
    set: its ranking set's under the district's file, the other's as small_multiples_<district>_<vintage>.html.
    """
    with warehouse.get_connection() as conn:
        charts = small_multiples_charts(conn)
    return publish_charts(context, project, charts)
