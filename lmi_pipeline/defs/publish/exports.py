"""assets/exports/: CSV and Parquet copies of the tables researchers ask for, with a README of their columns.

DuckDB writes the files itself (COPY), straight from the working database. The README is generated from
the tables' actual columns, so it can never describe a column that is not there, and a column nobody has
described yet says so instead of being silently left out.
"""

from pathlib import Path

import dagster as dg
import duckdb
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource, quote_ident, quote_literal

EXPORTS_DIR = "exports"
TEMPLATES = Path(__file__).parent / "templates"
# table -> (what one row is, the order rows are written in)
EXPORTS = {
    "ward_indicators": ("ward x indicator x month", "lad_code, ward_code, ward_vintage, indicator, period"),
    "priority_wards": ("ward of a configured district's ranking boundary set, ranked",
                       "lad_code, priority_rank NULLS LAST, ward_name"),
    "priority_sensitivity": ("district x alternative weighting", "lad_code, position"),
    "lmi_gaps": ("focus ward or configured district x catalogue indicator", "lad_code, place_level DESC, place_code, indicator"),
}

COMMON = {
    "ward_code": "ward GSS code (E05.../W05...)", "ward_name": "ward name (ONS)",
    "ward_vintage": "year of the ward boundaries the figure uses", "lad_code": "local authority district GSS code",
    "lad_name": "district name", "is_focus": "a focus ward named in lmi.toml", "indicator": "indicator name (see indicator_catalogue)",
    "data_label": "synthetic demo data / replayed recording of real responses / live official statistics / "
                  "bundled copy of published statistics (a real file shipped with the code, e.g. IoD 2025)",
    "source_query_id": "provenance.query_id of the upstream query the figure came from",
    "denominator_query_id": "provenance.query_id of the denominator's query",
    "release": "the upstream release stamp", "retrieved_at": "when the upstream response was fetched (UTC)",
    "unit": "'%' or 'claimants'", "label": "indicator label",
}

COLUMN_NOTES = {
    "ward_indicators": {
        "period": "reference month (first day)", "value": "the figure, in `unit`",
        "numerator": "count behind a rate (or the count itself)", "denominator": "population behind a rate (NULL for counts)",
        "lower": "lowest value the count's rounding to 5 allows; for rates also the 0.05 of their 1 dp rounding, "
                 "never above value (95% CI for survey figures)",
        "upper": "highest value the count's rounding to 5 allows; for rates also the 0.05 of their 1 dp rounding, "
                 "never below value (95% CI for survey figures)",
        "status": "official (the publisher's figure as published), computed (a rate computed here from the publisher's "
                  "own counts, e.g. Census rates), derived (built from our own aggregation, e.g. ward youth claimant rates) or proxy",
        "small_number": "count under the small-number threshold (lmi.toml, default 20)",
        "rounding_base": "5 for claimant-count figures", "obs_status": "upstream observation status",
        "lad_value": "same indicator for the ward's district",
        "county_value": "same for its county (shire districts only; NULL elsewhere)",
        "combined_authority_value": "same for its combined authority (metropolitan districts only)",
        "region_value": "same for its region (England only)", "country_value": "same for its country (England or Wales)",
        "change_12m": "value minus the value a year earlier (percentage points for rates)",
        "change_12m_lower": "lowest change both months' ranges allow: lower minus the upper a year earlier (NULL without ranges)",
        "change_12m_upper": "highest change both months' ranges allow: upper minus the lower a year earlier (NULL without ranges)",
        "change_12m_within_rounding": "the change's range includes 0, so it may be no change at all (NULL without ranges)",
        "rank_in_lad": "rank among the district's wards, 1 = highest", "n_wards_in_lad": "wards with a value",
        "denominator_year": "mid-year estimate used", "source_dataset": "upstream dataset",
    },
    "priority_wards": {
        "claimant_period": "the claimant month the ranking uses",
        "priority_rank": "1 = highest composite score in the district (ties share a rank)",
        "n_wards": "wards in the district's ranking boundary set",
        "is_top_priority": "rank 1: the highest relative concentration of claimants on these measures",
        "priority_score": "weighted mean of the component z-scores (z-score units, 1 dp; within-district only)",
        "priority_rank_low": "2.5th percentile of the ward's rank over the rounding simulation",
        "priority_rank_high": "97.5th percentile of the ward's rank over the rounding simulation",
        "priority_share_top": "share of simulation draws in which the ward ranks first",
        "simulation_draws": "draws in the seeded rounding simulation",
        "is_clear_top": "rank 1 in at least 95% of draws",
        "claimant_count": "claimants 16+ in the claimant month (rounded to 5)",
        "claimant_count_rank": "rank on the claimant count (1 = most claimants)",
        "youth_claimant_count": "claimants of the youth band ([analysis] youth_age_band), rounded to 5",
        "youth_claimant_count_rank": "rank on the youth claimant count",
        "is_top_by_count": "most claimants in the district: where most people are affected",
        "youth_claimant_rate_lower": "lowest youth claimant rate the rounding allows",
        "youth_claimant_rate_upper": "highest youth claimant rate the rounding allows",
        "claimant_rate_lower": "lowest claimant rate the rounding allows",
        "claimant_rate_upper": "highest claimant rate the rounding allows",
        "claimant_rate_change_12m_lower": "lowest change on a year both months' rounding allows",
        "claimant_rate_change_12m_upper": "highest change on a year both months' rounding allows",
        "boundary_note": "what changed when the district's ward boundaries changed, and which set is ranked",
        **{f"{c}{s}": d.format(name=n) for c, n in (
            ("youth_claimant_rate", "youth claimant rate of [analysis] youth_age_band, %, derived"), ("claimant_rate", "claimant rate 16+, %"),
            ("claimant_rate_change_12m", "change in the claimant rate on a year earlier, percentage points"),
            ("census_unemployment_rate", "Census unemployment rate (ONS definition), %"),
            ("employment_deprivation", "IoD 2025 employment deprivation, % (LSOA best-fit mean)"))
           for s, d in (("", "{name}"), ("_z", "z-score of the {name} within the district"),
                        ("_rank", "rank of the ward on the {name} (1 = highest)"))},
        "lad_youth_claimant_rate": "the district's youth claimant rate", "lad_claimant_rate": "the district's claimant rate",
        "lad_claimant_rate_change_12m": "the district's change on a year",
        "lad_census_unemployment_rate": "the district's Census unemployment rate",
        "lad_employment_deprivation": "the district's employment deprivation (LSOA mean)",
        "census_period": "Census reference month", "weights": "the weights from lmi.toml [priority_weights]",
        "components_used": "components in the score (the same for every ward of the district)", "components_missing": "components left out, and why",
        "reasons": "the components used, largest contribution first, against the district",
        "small_number_components": "components resting on a small count", "source_query_ids": "provenance query ids",
        "denominator_query_ids": "provenance query ids of the denominators", "statuses": "official/computed/derived statuses used",
    },
    "priority_sensitivity": {
        "position": "order of the scheme", "scheme": "name of the alternative weighting",
        "description": "what the scheme changes", "weights": "its weights",
        "top_wards": "the ward(s) ranked first under it, with codes", "top_score": "their score (1 dp)",
        "configured_top_rank": "where the configured top ward ranks under it", "n_wards": "wards ranked",
        "same_top_as_configured": "the same ward comes first as with lmi.toml's weights",
        "components_used": "components with weight that every ward has",
    },
    "lmi_gaps": {
        "place_level": "ward (a focus ward) or lad (a configured district)", "place_code": "its GSS code",
        "place_name": "its name", "indicator_status": "official / computed / derived / proxy (catalogue)",
        "source_dataset": "upstream dataset", "frequency": "monthly / quarterly / annual / decennial",
        "coverage": "available, proxy, ward_other_boundaries (held for the ward on other boundaries), lad_only, county_only, region_only, country_only, missing or not_available_this_run",
        "available_level": "lowest level a figure is held at for the place",
        "available_area_code": "the area that figure is for", "available_area_name": "its name",
        "lowest_level": "lowest level the indicator exists at anywhere here", "published_levels": "what the publisher releases",
        "figure_status": "status of the latest figure", "latest_period": "latest period with a value",
        "latest_value": "that value", "latest_lower": "its lower bound", "latest_upper": "its upper bound",
        "latest_period_held": "latest period held, with or without a value",
        "age_months": "months from latest_period to as_of", "release_interval_months": "months between releases",
        "next_release_due": "when the next release was expected (a guide)", "is_stale": "as_of is past next_release_due",
        "is_dated": "latest figure over 24 months old (e.g. Census 2021)", "rounding_base": "rounding of counts",
        "small_number": "the latest figure rests on a small count", "suppressed_values": "figures without a value in the series",
        "suppressed_at_place": "held for the place but suppressed in every period", "limits": "rounding and suppression limits in words",
        "caveats": "the indicator's caveats (catalogue)", "as_of": "the date ages are measured at",
        "source_outcome": "this run's state of the indicator's sources: fresh, stale (last good load kept) or unavailable",
        "source_problem": "why a source is stale or unavailable this run",
    },
}


OWNER = "data_exports"


def column_rows(conn: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    notes = {**COMMON, **COLUMN_NOTES.get(table, {})}
    cols = conn.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                        "ORDER BY ordinal_position", [table]).fetchall()
    return [{"name": n, "type": t, "note": notes.get(n, "not yet described: see docs/data-dictionary.md")}
            for n, t in cols]


def write_exports(conn: duckdb.DuckDBPyConnection, project: ProjectResource) -> dict[str, int]:
    """COPY each table to CSV and Parquet in the staging folder, then the README. Returns rows per table."""
    counts, tables = {}, []
    project.staging_area(OWNER)
    for table, (grain, order) in EXPORTS.items():
        query = f"SELECT * FROM {quote_ident(table)} ORDER BY {order}"
        csv = project.staged(OWNER, f"{EXPORTS_DIR}/{table}.csv")
        parquet = project.staged(OWNER, f"{EXPORTS_DIR}/{table}.parquet")
        conn.execute(f"COPY ({query}) TO {quote_literal(str(csv))} (FORMAT csv, HEADER true)")
        conn.execute(f"COPY ({query}) TO {quote_literal(str(parquet))} (FORMAT parquet, COMPRESSION zstd)")
        counts[table] = conn.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()[0]
        tables.append({"name": table, "grain": grain, "order": order, "rows": counts[table],
                       "columns": column_rows(conn, table)})
    label = conn.execute("SELECT string_agg(DISTINCT data_label, ' + ' ORDER BY data_label) FROM provenance").fetchone()[0] or "unknown"
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    readme = env.get_template("exports_README.md.j2").render(tables=tables, label=label)
    project.staged(OWNER, f"{EXPORTS_DIR}/README.md").write_text(readme, encoding="utf-8")
    return counts


@dg.asset(group_name="publish", kinds={"csv", "parquet"}, deps=["ward_indicators", "priority_wards", "lmi_gaps",
                                                               "provenance"])
def data_exports(context: dg.AssetExecutionContext, project: ProjectResource,
                 warehouse: WarehouseResource) -> dg.MaterializeResult:
    """assets/exports/: `ward_indicators`, `priority_wards` and `lmi_gaps` as CSV (UTF-8, header, ISO dates,
    empty = NULL) and Parquet (types kept), written by DuckDB's COPY, with a README.md describing every
    column. For spreadsheets and tools that cannot open DuckDB; the files hold no lock on anything.
    """
    with warehouse.get_connection() as conn:
        counts = write_exports(conn, project)
    metadata = {f"{table}_rows": n for table, n in counts.items()}
    for name in ["README.md"] + [f"{t}.{ext}" for t in EXPORTS for ext in ("csv", "parquet")]:
        metadata[name] = dg.MetadataValue.path(str(project.published(f"{EXPORTS_DIR}/{name}").resolve()))
    return dg.MaterializeResult(metadata=metadata)
