"""The LMI gap matrix as a heatmap: indicators down, places across, coloured by where figures exist."""

import dagster as dg
import duckdb
import pandas as pd
import plotly.graph_objects as go

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.publish.charts import (
    Chart, EmbeddedChart, add_note, chart_note, esc, labels_of, month_name, publish_charts)
from lmi_pipeline.project import ProjectResource

GAPS_SQL = """
SELECT g.* EXCLUDE (retrieved_at), c.source_dataset AS catalogue_source  -- no tz column: pandas warns on it
FROM lmi_gaps g JOIN indicator_catalogue c USING (indicator)
ORDER BY g.lad_code, g.place_level DESC, g.place_name, g.indicator
"""

# Coverage codes in order of how much is known about the place itself, with their colours and cell text.
COVERAGE = [("available", "#15803d", "held"), ("proxy", "#84cc16", "proxy"),
            ("ward_other_boundaries", "#bef264", "other set"), ("lad_only", "#facc15", "district"),
            ("county_only", "#f97316", "county"), ("region_only", "#dc2626", "region"),
            ("country_only", "#991b1b", "country"), ("missing", "#6b7280", "missing"),
            ("not_available_this_run", "#1f2937", "failed")]
LEGEND = {"available": "held for the place", "proxy": "proxy only",
          "ward_other_boundaries": "held for the ward on other boundaries", "lad_only": "district only",
          "county_only": "county only", "region_only": "region only", "country_only": "England only",
          "missing": "missing", "not_available_this_run": "not available this run (its source failed)"}


# Row labels wrap at this many characters (never cut: a cut label hides which indicator the row is).
LABEL_WIDTH = 34
LABEL_PX_PER_CHAR = 7  # at the 12 px tick font
CELL_FONT_PX = 12


def wrapped(text: str, width: int = LABEL_WIDTH) -> list[str]:
    """The label in lines of at most `width` characters, split between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def place_columns(df: pd.DataFrame) -> list[str]:
    """Each row's column heading: one column per place code; a name held by two codes (a focus ward on old and
    new boundaries) shows its code, and a district says so."""
    names = df.drop_duplicates("place_code").groupby("place_name")["place_code"].count()
    return [esc(n) + (" (district)" if lvl == "lad" else f" ({c})" if names[n] > 1 else "")
            for n, lvl, c in zip(df.place_name, df.place_level, df.place_code)]


def gap_matrix_chart(conn: duckdb.DuckDBPyConnection) -> Chart:
    df = conn.execute(GAPS_SQL).df()
    if df.empty:
        raise ValueError("lmi_gaps is empty: no focus wards or no catalogue indicators.")
    label = labels_of(df)
    order = {code: i for i, (code, _, _) in enumerate(COVERAGE)}
    cells = {code: text for code, _, text in COVERAGE}
    df["place"] = place_columns(df)
    places = list(dict.fromkeys(df["place"]))
    # Most frequent sources first (monthly claimant count ... decennial Census).
    indicators = list(dict.fromkeys(df.sort_values(["release_interval_months", "indicator"])["indicator"]))
    labels = dict(zip(df.indicator, df.label))
    grid = df.set_index(["indicator", "place"])
    z, text, hover = [], [], []
    for ind in indicators:
        zr, tr, hr = [], [], []
        for place in places:
            r = grid.loc[(ind, place)]
            period = "" if pd.isna(r.latest_period) else pd.Timestamp(r.latest_period).strftime("%b %y")
            flags = ("stale" if r.is_stale else "") or ("dated" if r.is_dated else "")
            zr.append(order[r.coverage])
            tr.append("<br>".join(x for x in (cells[r.coverage], " · ".join(y for y in (period, flags) if y)) if x))
            hr.append("<br>".join(x for x in (
                f"<b>{esc(labels[ind])}</b>", f"{place}: {LEGEND[r.coverage]}"
                + (f" ({esc(r.available_area_name)})" if r.available_level and (r.coverage.endswith("_only") or r.coverage == "ward_other_boundaries") else ""),
                f"latest: {month_name(r.latest_period)}, {int(r.age_months)} months old" if period else "",
                f"next release was due {pd.Timestamp(r.next_release_due):%d %b %Y}: STALE" if r.is_stale else "",
                esc(r.limits) if isinstance(r.limits, str) else "", f"source: {esc(r.catalogue_source)}") if x))
        z.append(zr), text.append(tr), hover.append(hr)
    n = len(COVERAGE)
    rows = [wrapped(labels[i]) for i in indicators]
    label_px = LABEL_PX_PER_CHAR * max(len(line) for lines in rows for line in lines) + 16
    colourscale = [[edge / n, colour] for i, (_, colour, _) in enumerate(COVERAGE) for edge in (i, i + 1)]
    fig = go.Figure(go.Heatmap(
        z=z, x=places, y=["<br>".join(map(esc, lines)) for lines in rows], text=text, texttemplate="%{text}",
        textfont={"size": CELL_FONT_PX}, customdata=hover, hovertemplate="%{customdata}<extra></extra>", zmin=-0.5,
        zmax=n - 0.5, colorscale=colourscale, xgap=2, ygap=2,
        colorbar={"tickvals": list(range(n)), "ticktext": [LEGEND[c] for c, _, _ in COVERAGE], "title": "coverage"}))
    as_of = month_name(df["as_of"].iloc[0])
    fig.update_layout(
        title={"text": f"LMI gap matrix: what is held for each focus ward and district, at what level<br><sup>As at "
                       f"{as_of}; cell shows the level, the latest period and stale/dated flags · {esc(label)}</sup>"},
        template="plotly_white", height=max(500, 38 * len(indicators) + 260), margin={"l": label_px, "t": 100, "b": 150},
        xaxis={"side": "top", "tickangle": 0, "tickfont": {"size": 12}},
        yaxis={"autorange": "reversed", "automargin": True, "tickfont": {"size": 12}})
    add_note(fig, chart_note(label, "indicator_catalogue and area_indicators (see the report's methods section)",
                             f"as at {as_of}",
                             "stale = a newer release was due and is not held; dated = the latest figure is over two years old",
                             "levels are matched on GSS codes up each place's own district, county, region and country"),
             below_px=20)
    return Chart("charts/lmi_gap_matrix.html", "LMI gap matrix", fig)


@dg.asset(group_name="publish", kinds={"plotly", "html"}, deps=["lmi_gaps", "indicator_catalogue"])
def lmi_gaps_chart(context: dg.AssetExecutionContext, project: ProjectResource,
                   warehouse: WarehouseResource) -> dg.Output[list[EmbeddedChart]]:
    """The LMI gap matrix as a heatmap (assets/charts/lmi_gap_matrix.html): every catalogue indicator by
    every focus ward and district, coloured by the lowest level a figure is held at (the place itself,
    proxy, district, county, region, England, or missing), with the latest period and stale/dated flags.
    """
    with warehouse.get_connection() as conn:
        charts = [gap_matrix_chart(conn)]
    return publish_charts(context, project, charts)
