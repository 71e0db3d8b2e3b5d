"""The LMI gap mapping by need as a heatmap: needs down, places across, coloured by what can be done about each."""

import dagster as dg
import duckdb
import pandas as pd
import plotly.graph_objects as go

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.publish.charts import (
    Chart, EmbeddedChart, add_note, chart_note, esc, labels_of, month_name, publish_charts)
from lmi_pipeline.defs.publish.gap_chart import CELL_FONT_PX, LABEL_PX_PER_CHAR, place_columns, wrapped
from lmi_pipeline.project import ProjectResource

NEED_GAPS_SQL = """
SELECT * FROM lmi_need_gaps ORDER BY need_position, place_level DESC, lad_code, place_name
"""
# Statuses from best to worst, with colours (a sequential, colour-blind-safe ramp: held dark green to not
# published dark purple) and cell text.
STATUSES = [("held", "#1a9850", "held"), ("held_proxy", "#91cf60", "proxy"),
            ("not_available_this_run", "#1f2937", "failed"), ("published_not_loaded", "#fee08b", "add it"),
            ("free_key", "#fdae61", "free key"), ("licensed_only", "#f46d43", "licensed"),
            ("larger_area_only", "#9e9ac8", "larger area"), ("not_published", "#54278f", "none")]
LEGEND = {"held": "held for the place", "held_proxy": "held as a proxy only",
          "not_available_this_run": "not available this run (its source failed)",
          "published_not_loaded": "published for it, not loaded here", "free_key": "available with a free key",
          "licensed_only": "licensed data only", "larger_area_only": "only for a larger area",
          "not_published": "not published for small areas"}
LEVEL_CELL = {"lad": "district", "county": "county", "region": "region", "country": "England",
              "ward (other boundaries)": "other set"}


def need_gap_chart(conn: duckdb.DuckDBPyConnection) -> Chart:
    df = conn.execute(NEED_GAPS_SQL).df()
    if df.empty:
        raise ValueError("lmi_need_gaps is empty: no focus wards or no needs in lmi_needs.")
    df["shown"] = [f"{s}_proxy" if s == "held" and h == "proxy" else s for s, h in zip(df.status, df.held_status)]
    order = {code: i for i, (code, _, _) in enumerate(STATUSES)}
    cells = {code: text for code, _, text in STATUSES}
    df["place"] = place_columns(df)
    places = list(dict.fromkeys(df.place))
    needs = list(dict.fromkeys(df.need_label))
    grid = df.set_index(["need_label", "place"])
    z, text, hover = [], [], []
    for need in needs:
        zr, tr, hr = [], [], []
        for place in places:
            r = grid.loc[(need, place)]
            level = LEVEL_CELL.get(r.available_level) if r.status == "larger_area_only" else None
            zr.append(order[r.shown])
            tr.append(level or cells[r.shown])
            hr.append("<br>".join(x for x in (
                f"<b>{esc(need)}</b>", f"{place}: {LEGEND[r.shown]}",
                f"{esc(r.indicator_label)}" if isinstance(r.indicator_label, str) else "",
                f"latest: {month_name(r.latest_period)}" if pd.notna(r.latest_period) else "", "STALE: a newer release was due" if r.is_stale else "",
                esc(r.what_to_do)) if x))
        z.append(zr), text.append(tr), hover.append(hr)
    n = len(STATUSES)
    rows = [wrapped(need) for need in needs]
    label_px = LABEL_PX_PER_CHAR * max(len(line) for lines in rows for line in lines) + 16
    colourscale = [[edge / n, colour] for i, (_, colour, _) in enumerate(STATUSES) for edge in (i, i + 1)]
    label = labels_of(df)
    fig = go.Figure(go.Heatmap(
        z=z, x=places, y=["<br>".join(map(esc, lines)) for lines in rows], text=text, texttemplate="%{text}",
        textfont={"size": CELL_FONT_PX}, customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        zmin=-0.5, zmax=n - 0.5, colorscale=colourscale, xgap=2, ygap=2,
        colorbar={"tickvals": list(range(n)), "ticktext": [LEGEND[c] for c, _, _ in STATUSES], "title": "status"}))
    as_of = month_name(df["as_of"].iloc[0])
    fig.update_layout(
        title={"text": "LMI gap mapping: what each focus ward and district has for every need, and what to do about "
                       f"the rest<br><sup>As at {as_of}; a cell names the status or the level held · {esc(label)}</sup>"},
        template="plotly_white", height=max(500, 44 * len(needs) + 260), margin={"l": label_px, "t": 100, "b": 150},
        xaxis={"side": "top", "tickangle": 0, "tickfont": {"size": 12}},
        yaxis={"autorange": "reversed", "automargin": True, "tickfont": {"size": 12}})
    add_note(fig, chart_note(label, "lmi_needs (lmi_pipeline/indicators/needs.toml) and lmi_gaps", f"as at {as_of}",
                             "add it = an open source publishes it for places this small but lmi-pipeline does not "
                             "load it; larger area = held or published only for the district, county or England",
                             "none = no published LMI answers it for the place: a line of enquiry for primary research"),
             below_px=20)
    return Chart("charts/lmi_need_gaps.html", "LMI gap mapping by need", fig)


@dg.asset(group_name="publish", kinds={"plotly", "html"}, deps=["lmi_need_gaps"])
def lmi_need_gaps_chart(context: dg.AssetExecutionContext, project: ProjectResource,
                        warehouse: WarehouseResource) -> dg.Output[list[EmbeddedChart]]:
    """The LMI gap mapping by need as a heatmap (assets/charts/lmi_need_gaps.html): every need of the LMI needs
    catalogue by every focus ward and district, coloured by its status in lmi_need_gaps (held, held as a proxy,
    published but not loaded, free key, licensed, only for a larger area, not published), so one look shows what
    to load, what to request and what to research.
    """
    with warehouse.get_connection() as conn:
        charts = [need_gap_chart(conn)]
    return publish_charts(context, project, charts)
