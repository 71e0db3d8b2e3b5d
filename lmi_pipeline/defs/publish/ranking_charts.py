"""The youth claimant rate of every ward, ranked, one chart per district."""

import dagster as dg
import duckdb
import plotly.graph_objects as go

from lmi_pipeline.defs.publish.charts import (
    CLAIMANT_SOURCES, PALETTE, ROUNDING_NOTE, BoundarySets, Chart, EmbeddedChart, add_note, chart_note, esc,
    labels_of, month_name, publish_charts, safe_name)
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.database.storage import WarehouseResource

YOUTH_RANKING_SQL = """
SELECT lad_code, lad_name, ward_code, ward_name, ward_vintage, is_focus, period, value, lower, upper, numerator,
       denominator, small_number, lad_value, country_value, country_name, rank_in_lad, n_wards_in_lad, status, data_label
FROM ward_indicators JOIN (SELECT lad_code, country_name FROM districts) USING (lad_code)
WHERE indicator = 'claimant_rate_16_24'
  AND period = (SELECT max(period) FROM ward_indicators WHERE indicator = 'claimant_rate_16_24' AND value IS NOT NULL)
ORDER BY lad_code, value ASC NULLS FIRST, ward_name DESC, ward_code DESC
"""


def youth_ranking_charts(conn: duckdb.DuckDBPyConnection) -> list[Chart]:
    """One ranking per district, of its ranking boundary set only (`ward_boundary_sets`): wards of two sets
    are different areas, and ranking them together would count a renamed or redrawn ward twice."""
    df = conn.execute(YOUTH_RANKING_SQL).df()
    sets = BoundarySets(conn)
    df = df[[v == sets.ranking_vintage(lad) for lad, v in zip(df.lad_code, df.ward_vintage)]]
    charts = []
    for lad_code, g in df.groupby("lad_code", sort=False):
        lad, label, period = g["lad_name"].iloc[0], labels_of(g), month_name(g["period"].iloc[0])
        vintage = int(g["ward_vintage"].iloc[0])
        shown = [sets.ward_label(n, lad_code, vintage) for n in g.ward_name]
        names = [f"<b>{esc(n)}</b>" if f else esc(n) for n, f in zip(shown, g.is_focus)]
        colours = [PALETTE["focus"] if f else PALETTE["ward"] for f in g.is_focus]
        # Bars are placed by ward code, named by tick text: two wards sharing a name stay two bars.
        fig = go.Figure(go.Bar(
            x=g.value, y=list(g.ward_code), orientation="h", marker={"color": colours, "pattern": {
                "shape": ["/" if s else "" for s in g.small_number.fillna(False)], "fillmode": "overlay"}},
            error_x={"type": "data", "symmetric": False, "array": (g.upper - g.value).tolist(),
                     "arrayminus": (g.value - g.lower).tolist(), "color": "#374151", "thickness": 1},
            customdata=g[["numerator", "denominator", "lower", "upper", "rank_in_lad", "n_wards_in_lad"]]
            .assign(name=[esc(n) for n in shown]).to_numpy(dtype=object),
            hovertemplate="%{customdata[6]}: %{x:.1f}% (range %{customdata[2]:.1f}-%{customdata[3]:.1f})<br>"
                          "%{customdata[0]:.0f} claimants aged 16-24 of %{customdata[1]:,.0f} residents<br>"
                          "rank %{customdata[4]} of %{customdata[5]}<extra></extra>",
            name="ward", showlegend=False))
        for value, name, dash, colour in ((g["lad_value"].iloc[0], lad, "dash", PALETTE["lad"]),
                                          (g["country_value"].iloc[0], g["country_name"].iloc[0], "dot",
                                           PALETTE["country"])):
            if value == value:  # not NaN
                fig.add_vline(x=value, line={"dash": dash, "color": colour, "width": 1.5},
                              annotation={"text": f"{esc(name)} {value:.1f}%", "font": {"size": 11}},
                              annotation_position="top")
        fig.update_layout(
            title={"text": f"Youth claimant rate (16-24) by ward, {esc(sets.area_label(lad, lad_code, vintage))}, "
                           f"{period}<br><sup>Highest at the top; "
                           f"focus wards in bold orange; hatched = fewer than 20 claimants · {esc(label)}</sup>"},
            template="plotly_white", height=max(420, 24 * len(g) + 230), margin={"l": 10, "b": 150, "t": 100},
            xaxis={"title": "% of residents aged 16-24 (derived)", "ticksuffix": "%", "rangemode": "tozero"},
            yaxis={"automargin": True, "type": "category", "tickmode": "array", "tickvals": list(g.ward_code),
                   "ticktext": names})
        note = sets.note(lad_code)
        add_note(fig, chart_note(label, CLAIMANT_SOURCES,
                                 period, ROUNDING_NOTE, "derived by lmi-pipeline, not an official statistic",
                                 *([note] if note else [])),
                 below_px=45)
        charts.append(Chart(f"charts/youth_claimant_rate_ranking_{safe_name(lad_code)}.html",
                            f"Youth claimant rate by ward, {sets.area_label(lad, lad_code, vintage)}, {period}", fig,
                            lad_code, vintage))
    return charts


@dg.asset(group_name="publish", kinds={"plotly", "html"}, deps=["ward_indicators", "districts", "ward_boundary_sets"])
def youth_claimant_rate_ranking_charts(context: dg.AssetExecutionContext, project: ProjectResource,
                                       warehouse: WarehouseResource) -> dg.Output[list[EmbeddedChart]]:
    """One bar chart per district (assets/charts/youth_claimant_rate_ranking_<district code>.html): every
    ward's youth claimant rate (16-24, derived) in the latest month, highest first, with whiskers for the
    range the rounding of its count allows, focus wards highlighted, small numbers hatched, and the
    district and country rates marked.
    """
    with warehouse.get_connection() as conn:
        charts = youth_ranking_charts(conn)
    return publish_charts(context, project, charts)
