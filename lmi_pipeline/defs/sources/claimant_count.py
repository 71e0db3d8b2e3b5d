import re
import time

import dagster as dg

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.partitions import claimant_months
from lmi_pipeline.sources.isolation import isolated_source
from lmi_pipeline.sources.nomis_loading import finish_source, load_nomis_query, raw_columns
from lmi_pipeline.sources.query_areas import GEOGRAPHY_DEPS, query_areas, small_area_level
from lmi_pipeline.sources.revisions import PeriodReplace
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource, quote_ident

DATASET = "NM_162_1"
# Age bands we need, found in the dataset's own `age` codelist by label (codes are not assumed).
AGE_BANDS = {
    "16+": re.compile(r"^all categories.*16\+?$", re.I),
    "16-24": re.compile(r"^aged?\s*16\s*-\s*24$", re.I),
    "18-24": re.compile(r"^aged?\s*18\s*-\s*24$", re.I),
}
SELECT = ("DATE", "DATE_NAME", "GEOGRAPHY", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE", "GENDER_NAME",
          "AGE", "AGE_NAME", "MEASURE", "MEASURE_NAME", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME")
# A month's identity within the raw table, and the cells compared to detect a revision.
ROW_KEY = ["GEOGRAPHY_CODE", "GEOGRAPHY_TYPE", "AGE", "MEASURE"]
ROW_VALUES = ["OBS_VALUE", "OBS_STATUS"]
AREA_KEY = ["GEOGRAPHY_CODE", "GEOGRAPHY_TYPE"]  # an area on one set of boundaries


def resolve_codes(codelist: dict[str, str], wanted: dict[str, re.Pattern], what: str) -> dict[str, str]:
    """{our name: upstream code} for every wanted label, or a clear error listing what upstream has."""
    found = {}
    for name, pattern in wanted.items():
        # Whitespace normalised as label_text() does in SQL: Nomis serves some labels with stray spaces.
        hits = [code for code, label in codelist.items() if pattern.search(" ".join(label.split()))]
        if not hits:
            raise UpstreamError(f"{what}: no code labelled like {name!r}; upstream has {sorted(codelist.values())}.")
        found[name] = hits[0]
    return found


def requested_months(context: dg.AssetExecutionContext, start_month: str) -> list[str]:
    """The partition months of this run, from the configured start month on."""
    return [k[:7] for k in context.partition_keys if k[:7] >= start_month]


@dg.asset(
    group_name="sources", kinds={"duckdb"}, deps=GEOGRAPHY_DEPS, pool="nomis_api",
    partitions_def=claimant_months, backfill_policy=dg.BackfillPolicy.single_run(),
    metadata={"lmi/upstream": f"nomis:{DATASET}"}, freshness_policy=freshness.MONTHLY_MID_MONTH,
)
@isolated_source(raw_columns(SELECT))
def raw_claimant_count(context: dg.AssetExecutionContext, nomis: NomisResource, project: ProjectResource,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Nomis NM_162_1 claimant count, exactly as served (every column text), one monthly partition per month.

    Wards of every configured district plus the districts and their benchmarks; all ages, 16-24 and
    18-24; measure 1 (count) and 2 (proportion of residents aged 16-64), sexes combined. A run replaces
    only its months. Each month's content hash is compared with the last load's, so silent upstream
    revisions are detected and logged in `source_revisions`.
    """
    areas = project.areas()
    months = requested_months(context, areas.start_month)
    if not months:
        return dg.MaterializeResult(metadata={"skipped": f"all months are before start_month {areas.start_month}"})
    mark = len(nomis.transport().fetched)
    ages = resolve_codes(nomis.codelist(DATASET, "age"), AGE_BANDS, f"Nomis {DATASET} age")
    release = nomis.dataset_release(DATASET).get("LastUpdated", "")
    with warehouse.get_connection() as conn:
        geography, expected, labels = query_areas(conn, "claimant_count", DATASET)
        level = small_area_level(conn, "claimant_count")
        query = NomisQuery(
            dataset=DATASET, geography=tuple(geography), select=SELECT, time=f"{months[0]},{months[-1]}",
            dimensions=(("gender", "0"), ("age", ",".join(ages.values())), ("measure", "1,2"), ("measures", "20100")),
            label=f"Nomis {DATASET} (claimant count, {months[0]} to {months[-1]})",
        )
        loaded = load_nomis_query(conn, "raw_claimant_count", nomis, query, context.log, expected, labels)
        loaded.release = release
        got = {r[0] for r in conn.execute(f"SELECT DISTINCT DATE FROM {quote_ident(loaded.staging)}").fetchall()}
        if set(months) - got:
            conn.execute(f"DROP TABLE {quote_ident(loaded.staging)}")
            raise UpstreamError(f"{query.label}: Nomis returned no rows for {sorted(set(months) - got)}; "
                                "those months may not be released yet. Nothing was loaded.")
        t0 = time.perf_counter()
        conn.execute("BEGIN")  # the months move in (and revisions are logged) all at once, or not at all
        periods = PeriodReplace(conn, "raw_claimant_count", "DATE", ROW_KEY, ROW_VALUES, AREA_KEY)
        revised = periods.apply(loaded.staging, months, "raw_claimant_count", release, loaded.query_id)
        loaded.load_seconds += time.perf_counter() - t0
        finish_source(conn, "raw_claimant_count", nomis, mark, DATASET, loaded, keep_referenced_by="raw_claimant_count")
        conn.execute("COMMIT")
    if periods.added_columns:
        context.log.warning(f"{DATASET}: upstream added column(s) {periods.added_columns}; kept in raw_claimant_count "
                            "(NULL in the months loaded before)")
    if revised:
        context.log.warning(f"{DATASET}: upstream revised {len(revised)} month(s) already loaded: {revised}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": loaded.rows, "pages": loaded.pages, "months": len(months),
        "latest_period": loaded.latest_period, "release": release, "geography_level": level,
        "revised_months": dg.MetadataValue.json(revised), "revisions": len(revised),
        "fetch_parse_seconds": round(loaded.fetch_parse_seconds, 3), "load_seconds": round(loaded.load_seconds, 3),
    })
