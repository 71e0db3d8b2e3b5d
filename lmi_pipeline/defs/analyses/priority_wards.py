"""Priority wards: where claimants are most concentrated, by a transparent composite, with its uncertainty.

Four tables, in order: `priority_inputs` (every ward's figure for each component), `ward_boundary_sets`
(which boundary set each district is ranked on), `priority_wards` (the ranking, with rank intervals from a
rounding simulation and a count-based view) and `priority_sensitivity` (the top ward under other weights).
"""

from __future__ import annotations

import dagster as dg
import duckdb
import pyarrow as pa

from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.defs.analyses.rank_uncertainty import rank_intervals
from lmi_pipeline.defs.column_schema import column_schema
from lmi_pipeline.geography.areas import PRIORITY_COMPONENTS
from lmi_pipeline.project import ProjectResource

# component -> (indicator, measure, label); the youth indicator follows lmi.toml [analysis] youth_age_band.
COMPONENTS = {
    "youth_claimant_rate": ("claimant_rate_{band}", "value", "youth claimant rate ({age})"),
    "claimant_rate": ("claimant_rate", "value", "claimant rate (16+)"),
    "claimant_rate_change_12m": ("claimant_rate", "change_12m", "change in the claimant rate on a year earlier"),
    "census_unemployment_rate": ("census_unemployment_rate", "value", "Census 2021 unemployment rate"),
    "employment_deprivation": ("iod_employment_deprivation", "value", "employment deprivation (IoD 2025)"),
}
CORE = ("youth_claimant_rate", "claimant_rate", "claimant_rate_change_12m", "census_unemployment_rate")

TOP_SQL = """
SELECT lad_name, ward_name, ward_vintage, priority_score,
       priority_rank_low || '-' || priority_rank_high AS rank_interval, priority_share_top, components_used
FROM priority_wards WHERE is_top_priority ORDER BY lad_code, ward_name
"""


def sensitivity_schemes(weights: dict[str, float]) -> dict[str, tuple[str, dict[str, float]]]:
    """The documented alternative weightings, each scheme -> (description, weights)."""
    only = lambda c: {k: float(k == c) for k in PRIORITY_COMPONENTS}  # noqa: E731
    return {
        "configured": ("the weights in lmi.toml [priority_weights]", dict(weights)),
        "equal": ("equal weights on the four core components",
                  {k: float(k in CORE) for k in PRIORITY_COMPONENTS}),
        "change_0.3": ("as configured, but 0.3 on the change over a year", {**weights, "claimant_rate_change_12m": 0.3}),
        "no_double_count": ("as configured, without the 16+ claimant rate (16-24 claimants are also 16+ claimants)",
                            {**weights, "claimant_rate": 0.0}),
        "youth_only": ("the youth claimant rate alone", only("youth_claimant_rate")),
        "claimant_rate_only": ("the claimant rate (16+) alone", only("claimant_rate")),
        "census_only": ("the Census 2021 unemployment rate alone", only("census_unemployment_rate")),
        "with_deprivation": ("as configured, plus employment deprivation (IoD 2025) at 0.25",
                             {**weights, "employment_deprivation": weights.get("employment_deprivation") or 0.25}),
    }


def _components(youth_band: str) -> pa.Table:
    rows = [(c, ind.format(band=youth_band.replace("-", "_")), measure, i + 1, label.format(age=youth_band))
            for i, (c, (ind, measure, label)) in enumerate(COMPONENTS.items())]
    return pa.table(dict(zip(("component", "indicator", "measure", "position", "label"), zip(*rows))))


def _weights_table(weights: dict[str, float]) -> pa.Table:
    return pa.table({"component": list(weights), "weight": [float(w) for w in weights.values()]})


def build_priority_inputs(conn: duckdb.DuckDBPyConnection, youth_band: str = "16-24") -> None:
    conn.register("priority_components", _components(youth_band))
    try:
        conn.execute(load_sql(__file__, "priority_inputs"))
    finally:
        conn.unregister("priority_components")


def build_ward_boundary_sets(conn: duckdb.DuckDBPyConnection, weights: dict[str, float]) -> None:
    conn.register("priority_weight_config", _weights_table(weights))
    try:
        conn.execute(load_sql(__file__, "ward_boundary_sets"))
    finally:
        conn.unregister("priority_weight_config")


def _scheme_weights(schemes: dict[str, tuple[str, dict[str, float]]]) -> pa.Table:
    """priority_scheme_weights(scheme, component, weight, position): each scheme's weights, in its order."""
    rows = [(s, c, float(w), i + 1) for s, (_, ws) in schemes.items() for i, (c, w) in enumerate(ws.items())]
    return pa.table(dict(zip(("scheme", "component", "weight", "position"), zip(*rows))))


def score_schemes(conn: duckdb.DuckDBPyConnection, schemes: dict[str, tuple[str, dict[str, float]]]) -> None:
    """The temporary tables priority_component_scores and priority_ward_scores, for every scheme."""
    conn.register("priority_scheme_weights", _scheme_weights(schemes))
    try:
        conn.execute(load_sql(__file__, "priority_scores"))
    finally:
        conn.unregister("priority_scheme_weights")


def build_ranking(conn: duckdb.DuckDBPyConnection, weights: dict[str, float], youth_band: str = "16-24") -> None:
    """`priority_wards` from priority_inputs and ward_boundary_sets."""
    score_schemes(conn, {"configured": ("", weights)})
    used = conn.execute("SELECT lad_code, ward_code, ward_vintage, component, measure, weight, value, lower, upper "
                        "FROM priority_component_scores WHERE is_used").df()
    conn.register("priority_rank_intervals", rank_intervals(used))
    try:
        conn.execute(load_sql(__file__, "priority_wards"),
                     {"youth_count_indicator": "claimant_count_" + youth_band.replace("-", "_")})
    finally:
        conn.unregister("priority_rank_intervals")


def build_sensitivity(conn: duckdb.DuckDBPyConnection, weights: dict[str, float]) -> None:
    schemes = sensitivity_schemes(weights)
    score_schemes(conn, schemes)
    described = [(s, i + 1, d) for i, (s, (d, _)) in enumerate(schemes.items())]
    conn.register("priority_schemes", pa.table(dict(zip(("scheme", "position", "description"), zip(*described)))))
    # The weights stay numbers: the SQL states them (priority_sensitivity.weights).
    conn.register("priority_scheme_weights", _scheme_weights(schemes))
    try:
        conn.execute(load_sql(__file__, "priority_sensitivity"))
    finally:
        conn.unregister("priority_schemes")
        conn.unregister("priority_scheme_weights")


def build_priority_wards(conn: duckdb.DuckDBPyConnection, weights: dict[str, float],
                         youth_band: str = "16-24") -> None:
    """All four tables from ward_indicators, area_indicators and ward_vintage_bridge (for tests and notebooks)."""
    build_priority_inputs(conn, youth_band)
    build_ward_boundary_sets(conn, weights)
    build_ranking(conn, weights, youth_band)
    build_sensitivity(conn, weights)


@dg.asset(group_name="analyses", kinds={"duckdb"},
          deps=["ward_indicators", "area_indicators", "ward_vintage_bridge"], pool="duckdb_writer")
def priority_inputs(project: ProjectResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Every ward of each configured district, on every boundary set its claimant count is published on in
    the latest month, with its figure for each priority component (youth claimant rate in the configured age
    band, claimant rate, change in the claimant rate on a year earlier, Census 2021 unemployment rate,
    employment deprivation), the figure's rounding range, period, status and provenance. Long: one row per
    ward x component. A figure from other boundaries is used only for the same or a recoded ward.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_priority_inputs(conn, project.areas().youth_age_band)
        conn.execute("COMMIT")
        n = conn.execute("SELECT count(*) FROM priority_inputs").fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": n})


@dg.asset(group_name="analyses", kinds={"duckdb"}, deps=["priority_inputs"], pool="duckdb_writer")
def ward_boundary_sets(project: ProjectResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """For each configured district, each ward boundary set (vintage) its latest claimant count is published
    on, and the one set rankings, the priority composite and ranking charts use (`is_ranking_set`): the
    newest whose wards all have every weighted component, else the newest. `boundary_note` says when and how
    the boundaries changed; wards of two sets are never ranked or charted as one.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_ward_boundary_sets(conn, project.areas().priority_weights)
        conn.execute("COMMIT")
        sets = conn.execute("SELECT lad_name, ward_vintage, n_wards, is_ranking_set, components_incomplete "
                            "FROM ward_boundary_sets ORDER BY lad_code, ward_vintage DESC").df()
    return dg.MaterializeResult(metadata={"dagster/row_count": len(sets),
                                          "sets": dg.MetadataValue.md(sets.to_markdown(index=False))})


@dg.asset(group_name="analyses", kinds={"duckdb"}, deps=["priority_inputs", "ward_boundary_sets", "ward_indicators"],
          pool="duckdb_writer", metadata=column_schema("priority_wards"))
def priority_wards(project: ProjectResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The wards of each configured district's ranking boundary set, ranked by a documented composite of
    the youth claimant rate, claimant rate, change in the claimant rate over a year, Census 2021
    unemployment rate and (optionally) employment deprivation, each standardised within the district
    (z-score) and weighted by lmi.toml [priority_weights]. Every ward of a ranking is scored on the same
    components. `priority_rank_low`..`priority_rank_high` is the 95% interval of the rank that the rounding
    of claimant counts alone allows (a seeded 5,000-draw simulation) and `priority_share_top` the share of
    draws that put the ward first. Rank 1 marks the highest relative concentration of claimants on these
    measures; `claimant_count_rank` ranks where most people are affected.
    """
    areas = project.areas()
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_ranking(conn, areas.priority_weights, areas.youth_age_band)
        conn.execute("COMMIT")
        n = conn.execute("SELECT count(*) FROM priority_wards").fetchone()[0]
        top = conn.execute(TOP_SQL).df()
    return dg.MaterializeResult(metadata={
        "dagster/row_count": n, "weights": dg.MetadataValue.json(areas.priority_weights),
        "top_priority": dg.MetadataValue.md(top.to_markdown(index=False)),
    })


@dg.asset(group_name="analyses", kinds={"duckdb"}, deps=["priority_inputs", "ward_boundary_sets"],
          pool="duckdb_writer", metadata=column_schema("priority_sensitivity"))
def priority_sensitivity(project: ProjectResource, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """For each configured district, the top priority ward under each documented alternative weighting
    (equal weights, more weight on the change, no double counting of youth claimants, each component alone,
    with employment deprivation) and where the configured top ward ranks under it.
    """
    with warehouse.get_connection() as conn:
        conn.execute("BEGIN")
        build_sensitivity(conn, project.areas().priority_weights)
        conn.execute("COMMIT")
        table = conn.execute("SELECT lad_name, scheme, top_wards, configured_top_rank FROM priority_sensitivity").df()
    return dg.MaterializeResult(metadata={"dagster/row_count": len(table),
                                          "sensitivity": dg.MetadataValue.md(table.to_markdown(index=False))})
