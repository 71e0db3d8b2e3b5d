"""Ward maps (choropleths) that work offline: the ward boundaries travel inside each page as GeoJSON, with no
base map, tiles or fonts fetched from anywhere.

Per district: the claimant rate and the youth claimant rate on the newest boundary set that has boundaries,
and the priority score on the district's ranking set (`ward_boundary_sets.is_ranking_set`); per county of the
configured districts, one map of every ward of its districts on one colour scale. A map never mixes two
boundary sets of one district. A ward is drawn with the boundary of its own GSS code (`ward_boundaries`); a
ward with none is listed under the map, and `wards_without_boundary` gives the same lists to the report.
"""

import json
import textwrap
from dataclasses import dataclass

import dagster as dg
import duckdb
import pandas as pd
import plotly.graph_objects as go

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.publish.charts import (
    CLAIMANT_SOURCES, PALETTE, BoundarySets, Chart, EmbeddedChart, add_note, chart_note, esc,
    labels_of, month_name, publish_charts, safe_name)
from lmi_pipeline.defs.publish.youth import YOUTH_BAND_SQL, youth_band, youth_indicator
from lmi_pipeline.project import ProjectResource

RATES_SQL = """
SELECT w.lad_code, w.lad_name, w.ward_code, w.ward_name, w.ward_vintage, w.is_focus, w.period, w.value, w.lower,
       w.upper, w.rank_in_lad, w.n_wards_in_lad, w.data_label, d.county_code, d.county_name
FROM ward_indicators w JOIN districts d USING (lad_code)
WHERE w.indicator = $indicator
  AND w.period = (SELECT max(period) FROM ward_indicators WHERE indicator = $indicator AND value IS NOT NULL)
ORDER BY w.lad_code, w.ward_vintage DESC, w.ward_code
"""

PRIORITY_SQL = """
SELECT p.lad_code, p.lad_name, p.ward_code, p.ward_name, p.ward_vintage, p.is_focus, p.claimant_period AS period,
       p.priority_score AS value, p.priority_rank, p.n_wards, p.priority_rank_low, p.priority_rank_high, p.data_label
FROM priority_wards p
ORDER BY p.lad_code, p.ward_code
"""

BOUNDARIES_SQL = """
SELECT ward_code, boundary_vintage, geometry, source_service, attribution, data_label AS boundary_label
FROM ward_boundaries
"""

# The counties drawn whole: those lmi.toml names; failing any, every county holding two or more of the
# configured districts (one district alone is its own district map).
COUNTIES_SQL = """
WITH named AS (SELECT unnest(counties) AS county_code FROM areas_config)
SELECT DISTINCT county_code, county_name FROM districts
WHERE county_code IN (SELECT county_code FROM named)
   OR (NOT EXISTS (SELECT 1 FROM named) AND county_code IN (
       SELECT county_code FROM districts WHERE county_code IS NOT NULL GROUP BY 1 HAVING count(*) > 1))
ORDER BY county_code
"""

ROUNDING_NOTE = ("Claimant counts are rounded to the nearest 5, so a ward's rate carries a range (in its hover); "
                 "not seasonally adjusted")
COLOURSCALE = "Viridis"  # sequential and colour-blind safe; lighter = higher
NO_FIGURE_COLOUR = "#d1d5db"
FOCUS_LINE = {"color": PALETTE["focus"], "width": 3.5}
WARD_LINE = {"color": "#ffffff", "width": 0.6}
NOTE_WIDTH = 150  # characters per footnote line: a line longer than the figure is cut off
COUNTY_NOTE_WIDTH = 95  # the county map shares the report's first screen with a table, so it is half as wide
BOUNDARY_NOTE = "Ward boundaries: {services}."
LISTED_KEYS = ["ward_code", "ward_name", "ward_vintage", "lad_code", "lad_name"]


@dataclass(frozen=True)
class MapKind:
    """What a kind of map shows: its key prefix, its words and how its hover reads a ward."""

    prefix: str
    title: str  # e.g. "Claimant rate"
    colourbar: str
    unit: str  # appended to values in hovers: "%" or ""
    source: str
    notes: tuple[str, ...] = ()


CLAIMANT = MapKind("claimant_rate", "Claimant rate", "Claimant rate<br>% of residents 16-64", "%", CLAIMANT_SOURCES,
                   (ROUNDING_NOTE,))
PRIORITY = MapKind("priority", "Priority score", "Priority score<br>z-score units", "",
                   CLAIMANT_SOURCES + "; priority_wards (lmi-pipeline)",
                   ("Weighted mean of the within-district z-scores (method: docs/report.md); not comparable "
                    "between districts. Claimant counts are rounded to the nearest 5: the rank range is the 95% "
                    "interval over a simulation of that rounding.",))


def youth_kind(indicator: str) -> MapKind:
    band = youth_band(indicator)
    return MapKind("youth", f"Youth claimant rate ({band})", f"Youth claimant rate<br>% of residents {band}", "%",
                   CLAIMANT_SOURCES, (ROUNDING_NOTE, "derived by lmi-pipeline, not an official statistic"))


@dataclass
class WardMap:
    """One map to draw: its key ("claimant_rate:E07000062"), its area, and its wards, with or without a
    boundary (`geometry` NULL where there is none)."""

    key: str
    kind: MapKind
    area_code: str
    area_name: str
    wards: pd.DataFrame
    vintages: dict[str, int]  # district -> the boundary set drawn

    @property
    def drawn(self) -> pd.DataFrame:
        return self.wards[self.wards.geometry.notna()]

    @property
    def without_boundary(self) -> pd.DataFrame:
        return self.wards[self.wards.geometry.isna()]


def _has_table(conn, name: str) -> bool:
    return bool(conn.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                             [name]).fetchone()[0])


def _boundaries(conn) -> pd.DataFrame:
    if not _has_table(conn, "ward_boundaries"):  # a database built before boundaries existed: none held
        return pd.DataFrame(columns=["ward_code", "boundary_vintage", "geometry", "source_service", "attribution",
                                     "boundary_label"])
    return conn.execute(BOUNDARIES_SQL).df()


def _with_boundaries(df: pd.DataFrame, boundaries: pd.DataFrame) -> pd.DataFrame:
    # By code alone: a code is one area whatever the year of the boundary file.
    return df.merge(boundaries, on="ward_code", how="left")


def _newest_set_with_boundaries(g: pd.DataFrame) -> int:
    """The district's newest boundary set among those with figures that has any boundary; else its newest."""
    drawable = g[g.geometry.notna()]
    return int((drawable if not drawable.empty else g).ward_vintage.max())


def map_specs(conn: duckdb.DuckDBPyConnection) -> list[WardMap]:
    """Every ward map, in the order they are published, with the wards each shows or lists."""
    sets = BoundarySets(conn)
    boundaries = _boundaries(conn)
    youth = youth_indicator(conn.execute(YOUTH_BAND_SQL).fetchone()[0] if _has_table(conn, "areas_config") else None)
    maps: list[WardMap] = []
    rates = {}
    for indicator, kind in (("claimant_rate", CLAIMANT), (youth, youth_kind(youth))):
        df = _with_boundaries(conn.execute(RATES_SQL, {"indicator": indicator}).df(), boundaries)
        chosen = {lad: _newest_set_with_boundaries(g) for lad, g in df.groupby("lad_code", sort=False)}
        df = df[[chosen[lad] == v for lad, v in zip(df.lad_code, df.ward_vintage)]]
        rates[indicator] = (df, chosen)
        for lad, g in df.groupby("lad_code", sort=False):
            maps.append(WardMap(f"{kind.prefix}:{lad}", kind, lad, g.lad_name.iloc[0], g.reset_index(drop=True),
                                {lad: chosen[lad]}))
    if _has_table(conn, "priority_wards"):
        df = _with_boundaries(conn.execute(PRIORITY_SQL).df(), boundaries)
        df = df[[v == sets.ranking_vintage(lad) for lad, v in zip(df.lad_code, df.ward_vintage)]]
        for lad, g in df.groupby("lad_code", sort=False):
            maps.append(WardMap(f"priority:{lad}", PRIORITY, lad, g.lad_name.iloc[0], g.reset_index(drop=True),
                                {lad: int(g.ward_vintage.iloc[0])}))
    # Each county whole, for the claimant rate ("county:") and the youth claimant rate ("county_youth:").
    for county_code, county_name in conn.execute(COUNTIES_SQL).fetchall():
        for indicator, kind, prefix in (("claimant_rate", CLAIMANT, "county"), (youth, youth_kind(youth), "county_youth")):
            df, chosen = rates[indicator]
            g = df[df.county_code == county_code]
            if not g.empty:
                maps.append(WardMap(f"{prefix}:{county_code}", kind, county_code, county_name,
                                    g.reset_index(drop=True), {lad: chosen[lad] for lad in dict.fromkeys(g.lad_code)}))
    return maps


def wards_without_boundary(conn: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """For the report: each map's key -> the wards it shows figures for but cannot draw (no boundary held for
    their code), as {ward_code, ward_name, ward_vintage, lad_code, lad_name}; an empty list where all are drawn."""
    return {m.key: m.without_boundary[LISTED_KEYS].to_dict("records") for m in map_specs(conn)}


def _wrapped(names: list[str], width: int = NOTE_WIDTH) -> list[str]:
    lines, line = [], ""
    for name in names:
        if line and len(line) + len(name) + 2 > width:
            lines.append(line + ",")
            line = name
        else:
            line = f"{line}, {name}" if line else name
    return lines + ([line] if line else [])


def _hover(row, m: WardMap, sets: BoundarySets, county: bool) -> str:
    name = sets.ward_label(row.ward_name, row.lad_code, row.ward_vintage, row.lad_name if county else None)
    lines = [f"<b>{esc(name)}</b>"]
    unit = m.kind.unit
    if row.value != row.value:  # NaN: no figure (suppressed upstream)
        lines.append(f"{esc(m.kind.title)}: no figure")
    elif m.kind is PRIORITY:
        lines += [f"{m.kind.title}: {row.value:.1f}",
                  f"Rank {row.priority_rank:.0f} of {row.n_wards:.0f} in {esc(row.lad_name)} "
                  f"(range {row.priority_rank_low:.0f}-{row.priority_rank_high:.0f})"]
    else:
        lines.append(f"{esc(m.kind.title)}: {row.value:.1f}{unit} (range {row.lower:.1f}-{row.upper:.1f}{unit})")
        if row.rank_in_lad == row.rank_in_lad:
            lines.append(f"Rank {row.rank_in_lad:.0f} of {row.n_wards_in_lad:.0f} in {esc(row.lad_name)}")
    lines.append(month_name(row.period))
    return "<br>".join(lines)


def _collection(drawn: pd.DataFrame) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": code, "properties": {"ward_code": code}, "geometry": json.loads(geom)}
        for code, geom in zip(drawn.ward_code, drawn.geometry)]}


def _boundary_notes(m: WardMap) -> list[str]:
    drawn = m.drawn
    if drawn.empty:
        return []
    services = ", ".join(f"ONS {s} ({int(v)} boundaries; {lbl})" for s, v, lbl in
                         drawn[["source_service", "boundary_vintage", "boundary_label"]].drop_duplicates().itertuples(
                             index=False))
    notes = [BOUNDARY_NOTE.format(services=services), *sorted(set(drawn.attribution))]
    other = drawn[drawn.boundary_vintage != drawn.ward_vintage]
    if not other.empty:
        pairs = sorted({(int(a), int(b)) for a, b in zip(other.ward_vintage, other.boundary_vintage)})
        notes.append("; ".join(f"{a} wards drawn with the {b} boundaries of the same ward codes" for a, b in pairs)
                     + " (a boundary change issues new codes, so a code is one area).")
    return notes


def ward_map_figure(m: WardMap, sets: BoundarySets) -> go.Figure:
    county = m.key.startswith(("county:", "county_youth:"))
    wards = m.wards.sort_values("is_focus", kind="stable")  # focus outlines last, over their neighbours
    drawn = wards[wards.geometry.notna()]
    fig = go.Figure()
    geojson = _collection(drawn)
    has_value = drawn[drawn.value.notna()]
    no_value = drawn[drawn.value.isna()]
    for part, z, scale, show in ((has_value, has_value.value, COLOURSCALE, True),
                                 (no_value, [0] * len(no_value), [[0, NO_FIGURE_COLOUR], [1, NO_FIGURE_COLOUR]], False)):
        if part.empty and not (show and drawn.empty):
            continue
        fig.add_trace(go.Choropleth(
            geojson=geojson, featureidkey="id", locations=list(part.ward_code), z=list(z), colorscale=scale,
            showscale=show and not part.empty,
            colorbar={"title": {"text": m.kind.colourbar}, "ticksuffix": m.kind.unit, "len": 0.75},
            marker={"line": {"color": [FOCUS_LINE["color"] if f else WARD_LINE["color"] for f in part.is_focus],
                             "width": [FOCUS_LINE["width"] if f else WARD_LINE["width"] for f in part.is_focus]}},
            text=[_hover(r, m, sets, county) for r in part.itertuples()], hovertemplate="%{text}<extra></extra>",
            name=m.kind.title if show else "no figure", showlegend=False))
    label, period = labels_of(m.wards), month_name(m.wards.period.max())
    vintages = set(m.vintages.values())
    if county:
        area = f"{m.area_name} ({len(m.vintages)} districts)"
    else:
        area = sets.area_label(m.area_name, m.area_code, m.vintages[m.area_code])
    missing = m.without_boundary
    # The map is of one boundary set per district (named in the title), so the names need no set.
    listed = [f"{n} ({ln})" if county else str(n) for n, ln in zip(missing.ward_name, missing.lad_name)]
    notes = list(m.kind.notes) + _boundary_notes(m)
    notes += [sets.note(lad) for lad in m.vintages if sets.note(lad)]
    width = COUNTY_NOTE_WIDTH if county else NOTE_WIDTH
    notes = [line for n in notes for line in textwrap.wrap(n, width)]
    if listed:
        notes.append(f"Not drawn, no boundary held for their ward codes ({len(listed)} of {len(m.wards)} wards):")
        notes += _wrapped(listed, width)
    if drawn.empty:
        fig.add_annotation(text=f"No ward of {esc(area)} can be drawn: no boundary is held for its ward codes "
                                "(listed below).", xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False,
                           font={"size": 13, "color": "#374151"})
    note = chart_note(label, m.kind.source, period, *notes, width=width)
    lines = note.count("<br>") + 1
    fig.update_geos(fitbounds="locations", visible=False, projection={"type": "mercator"})
    fig.update_layout(
        title={"text": f"{esc(m.kind.title)} by ward, {esc(area)}, {period}<br><sup>"
                       + ("Focus wards outlined in orange; " if m.wards.is_focus.any() else "")
                       + ", ".join(f"{v} wards" for v in sorted(vintages)) + f" · {esc(label)}</sup>"},
        # The county map leads the report's first screen, beside a table: a county is wider than it is tall.
        template="plotly_white", height=(400 if county else 640) + 15 * lines, margin={"l": 10, "r": 10, "t": 90, "b": 40 + 15 * lines},
        dragmode=False)
    add_note(fig, note, below_px=20)
    return fig


def ward_map_charts(conn: duckdb.DuckDBPyConnection) -> list[Chart]:
    sets = BoundarySets(conn)
    charts = []
    for m in map_specs(conn):
        fig = ward_map_figure(m, sets)
        kind, area = m.key.split(":", 1)
        vintage = next(iter(m.vintages.values())) if len(set(m.vintages.values())) == 1 else None
        title = fig.layout.title.text.split("<br>")[0]
        charts.append(Chart(f"charts/map_{kind}_{safe_name(area)}.html", title, fig, m.key, vintage))
    return charts


@dg.asset(group_name="publish", kinds={"plotly", "html"},
          deps=["ward_indicators", "ward_boundaries", "priority_wards", "ward_boundary_sets", "districts",
                "areas_config"])
def ward_maps(context: dg.AssetExecutionContext, project: ProjectResource,
              warehouse: WarehouseResource) -> dg.Output[list[EmbeddedChart]]:
    """Ward maps (assets/charts/map_<kind>_<area code>.html), drawn offline from the boundaries held: for each
    district the claimant rate and the youth claimant rate (latest month, newest boundary set with
    boundaries) and the priority score (its ranking set), and one claimant-rate map of each county of the
    configured districts on one colour scale. Focus wards are outlined; hovers give the ward, its value with
    the rounding range, its rank and the month. Wards with no boundary held are listed under each map
    (`ward_maps.wards_without_boundary` for the report). Chart keys: claimant_rate:<district>,
    youth:<district>, priority:<district>, county:<county>.
    """
    with warehouse.get_connection() as conn:
        charts = ward_map_charts(conn)
        missing = wards_without_boundary(conn)
    out = publish_charts(context, project, charts)
    n_missing = {k: len(v) for k, v in missing.items() if v}
    if n_missing:
        context.log.warning(f"wards listed without a boundary: {n_missing}")
    return dg.Output(out.value, metadata={**out.metadata, "wards_without_boundary": n_missing})
