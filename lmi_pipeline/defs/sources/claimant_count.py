import re

import dagster as dg

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.defs.sources.nomis_loading import finish_source, load_nomis_query
from lmi_pipeline.defs.sources.query_areas import query_areas
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource

DATASET = "NM_162_1"
# Age bands we need, found in the dataset's own `age` codelist by label (codes are not assumed).
AGE_BANDS = {
    "16+": re.compile(r"^all categories.*16\+?$", re.I),
    "16-24": re.compile(r"^aged?\s*16\s*-\s*24$", re.I),
    "18-24": re.compile(r"^aged?\s*18\s*-\s*24$", re.I),
}
SELECT = ("DATE", "DATE_NAME", "GEOGRAPHY", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE", "GENDER_NAME",
          "AGE", "AGE_NAME", "MEASURE", "MEASURE_NAME", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME")


def resolve_codes(codelist: dict[str, str], wanted: dict[str, re.Pattern], what: str) -> dict[str, str]:
    """{our name: upstream code} for every wanted label, or a clear error listing what upstream has."""
    found = {}
    for name, pattern in wanted.items():
        hits = [code for code, label in codelist.items() if pattern.search(label.strip())]
        if not hits:
            raise UpstreamError(f"{what}: no code labelled like {name!r}; upstream has {sorted(codelist.values())}.")
        found[name] = hits[0]
    return found


@dg.asset(group_name="sources", kinds={"duckdb"}, deps=["nomis_geographies", "ward_lookup"], pool="nomis_api")
def raw_claimant_count(context: dg.AssetExecutionContext, nomis: NomisResource, project: ProjectResource,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Nomis NM_162_1 claimant count, exactly as served (every column text), monthly from the start month.

    Wards of every configured district plus the districts and their benchmarks; all ages, 16-24 and
    18-24; measure 1 (count) and 2 (proportion of residents aged 16-64), sexes combined.
    """
    areas = project.areas()
    mark = len(nomis.transport().fetched)
    ages = resolve_codes(nomis.codelist(DATASET, "age"), AGE_BANDS, f"Nomis {DATASET} age")
    release = nomis.dataset_release(DATASET)
    with warehouse.get_connection() as conn:
        geography, expected, labels = query_areas(conn, "claimant_count", DATASET)
        query = NomisQuery(
            dataset=DATASET, geography=tuple(geography), select=SELECT,
            time=f"{areas.start_month},latest",
            dimensions=(("gender", "0"), ("age", ",".join(ages.values())), ("measure", "1,2"), ("measures", "20100")),
            label=f"Nomis {DATASET} (claimant count)",
        )
        conn.execute("BEGIN")
        loaded = load_nomis_query(conn, "raw_claimant_count", nomis, query, context.log, expected, labels)
        loaded.release = release.get("LastUpdated", "")
        finish_source(conn, "raw_claimant_count", nomis, mark, DATASET, loaded)
        conn.execute("COMMIT")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": loaded.rows, "pages": loaded.pages, "latest_period": loaded.latest_period,
        "release": loaded.release,
    })
