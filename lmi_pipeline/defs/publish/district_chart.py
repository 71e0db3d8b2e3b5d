"""The districts side by side: each headline rate of every district against its county, region and England."""

import dagster as dg
import duckdb
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.publish.charts import (
    PALETTE, Chart, EmbeddedChart, add_note, chart_note, esc, labels_of, month_name, publish_charts)
from lmi_pipeline.project import ProjectResource

# The rates compared, in panel order; a rate no district has is left out.
PANELS = [("claimant_rate", "Claimant rate, 16-64"), ("claimant_rate_16_24", "Youth claimant rate, 16-24"),
          ("census_unemployment_rate", "Census unemployment"), ("model_unemployment_rate", "Model-based unemployment")]

# Each district's and each larger area's latest figure per panel rate (the districts' latest period, so every
# bar of a panel is the same month), with the range its rounding or confidence interval allows.
DISTRICT_RATES_SQL = """
WITH latest AS (
    SELECT indicator, max(period) AS period FROM area_indicators
    WHERE area_level = 'lad' AND value IS NOT NULL AND indicator IN ({indicators}) GROUP BY indicator
),
compared AS (  -- the districts, and the larger areas any of them is compared with
    SELECT lad_code AS area_code, 'lad' AS kind FROM districts
    UNION SELECT county_code, 'county' FROM districts WHERE county_code IS NOT NULL
    UNION SELECT region_code, 'region' FROM districts WHERE region_code IS NOT NULL
    UNION SELECT country_code, 'country' FROM districts
)
SELECT a.area_code, a.area_name, c.kind, a.indicator, a.period, a.value, a.lower, a.upper, a.rounding_base,
       a.status, a.data_label, a.source_dataset
FROM area_indicators a
JOIN latest l ON l.indicator = a.indicator AND l.period = a.period
JOIN compared c ON c.area_code = a.area_code
WHERE a.ward_vintage IS NULL AND a.value IS NOT NULL
ORDER BY a.indicator, CASE c.kind WHEN 'lad' THEN 1 WHEN 'county' THEN 2 WHEN 'region' THEN 3 ELSE 4 END, a.area_name
"""
KIND_COLOURS = {"lad": PALETTE["ward"], "county": PALETTE["county"], "region": PALETTE["region"],
                "country": PALETTE["country"]}


def district_comparison_chart(conn: duckdb.DuckDBPyConnection) -> Chart:
    indicators = ", ".join(f"'{i}'" for i, _ in PANELS)
    df = conn.execute(DISTRICT_RATES_SQL.format(indicators=indicators)).df()
    if df.empty:
        raise ValueError("district_comparison_chart: no district rates to compare; check the area_indicators table.")
    panels = [(i, t) for i, t in PANELS if (df.indicator == i).any()]
    label = labels_of(df)
    titles = [f"{t}<br><sup>{month_name(df.loc[df.indicator == i, 'period'].iloc[0])}</sup>" for i, t in panels]
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=titles, shared_yaxes=True, horizontal_spacing=0.03)
    order = list(dict.fromkeys(df.sort_values(["kind"], key=lambda k: k.map(
        {"lad": 1, "county": 2, "region": 3, "country": 4}), kind="stable").area_name))[::-1]
    for col, (indicator, _) in enumerate(panels, start=1):
        g = df[df.indicator == indicator].set_index("area_name").reindex(order).dropna(subset=["value"])
        fig.add_trace(go.Bar(
            x=g.value, y=[esc(n) for n in g.index], orientation="h", showlegend=False,
            marker={"color": [KIND_COLOURS[k] for k in g.kind]},
            error_x={"type": "data", "symmetric": False, "array": (g.upper - g.value).fillna(0).tolist(),
                     "arrayminus": (g.value - g.lower).fillna(0).tolist(), "color": "#6b7280", "thickness": 1},
            text=[f"{v:.1f}%" for v in g.value], textposition="outside", cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}%<extra>" + esc(indicator) + "</extra>"), row=1, col=col)
        fig.update_xaxes(title_text="%", row=1, col=col, rangemode="tozero")
    for kind, name in (("lad", "district"), ("county", "county"), ("region", "region"), ("country", "country")):
        fig.add_trace(go.Bar(x=[None], y=[None], marker={"color": KIND_COLOURS[kind]}, name=name, showlegend=True))
    fig.update_layout(
        title={"text": f"The districts compared: headline rates against county, region and country — {esc(label)}"},
        template="plotly_white", height=150 + 34 * len(order) + 160, margin={"l": 10, "t": 110, "b": 160},
        legend={"orientation": "h", "y": -60 / (34 * len(order) + 150), "x": 0}, bargap=0.25)
    fig.update_yaxes(automargin=True)
    add_note(fig, chart_note(label, ", ".join(sorted(set(df.source_dataset.dropna()))), "latest period of each rate",
                             "Whiskers: the range the claimant counts' rounding to 5 allows, or the model estimate's "
                             "95% confidence interval; the Census is a March 2021 snapshot",
                             "Claimant rates are not seasonally adjusted; youth rates are derived by lmi-pipeline"),
             below_px=80)
    return Chart("charts/district_comparison.html", "The districts compared", fig)


@dg.asset(group_name="publish", kinds={"plotly", "html"}, deps=["area_indicators", "districts"])
def district_comparison_charts(context: dg.AssetExecutionContext, project: ProjectResource,
                               warehouse: WarehouseResource) -> dg.Output[list[EmbeddedChart]]:
    """assets/charts/district_comparison.html: every district's headline rates (claimant rate, youth claimant
    rate, Census and model-based unemployment) side by side, with its county, region and country, and the
    range each figure's rounding or confidence interval allows. The report's district page embeds it.
    """
    with warehouse.get_connection() as conn:
        charts = [district_comparison_chart(conn)]
    return publish_charts(context, project, charts)
