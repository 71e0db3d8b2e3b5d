import re

import dagster as dg

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.sources.claimant_count import resolve_codes
from lmi_pipeline.sources.isolation import isolated_source
from lmi_pipeline.sources.nomis_loading import finish_source, load_nomis_query, move_into_place, raw_columns
from lmi_pipeline.sources.query_areas import GEOGRAPHY_DEPS, query_areas, small_area_level
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.storage import WarehouseResource

DATASET = "NM_2014_1"
AGE_BANDS = {
    "all": re.compile(r"^all ages$", re.I),
    "16-64": re.compile(r"^aged?\s*16\s*-\s*64$", re.I),
    "16-24": re.compile(r"^aged?\s*16\s*-\s*24$", re.I),
    "18-24": re.compile(r"^aged?\s*18\s*-\s*24$", re.I),
}
SELECT = ("DATE", "DATE_NAME", "GEOGRAPHY", "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE", "GENDER_NAME",
          "C_AGE", "C_AGE_NAME", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME")


@dg.asset(group_name="sources", kinds={"duckdb"}, deps=GEOGRAPHY_DEPS, pool="nomis_api",
          metadata={"lmi/upstream": f"nomis:{DATASET}"},
          # Mid-year estimates come once a year (small-area ones about a year after the district ones).
          freshness_policy=freshness.ANNUAL)
@isolated_source(raw_columns(SELECT))
def raw_population(context: dg.AssetExecutionContext, nomis: NomisResource, project: ProjectResource,
                   warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Nomis NM_2014_1 small-area mid-year population estimates, exactly as served (every column text).

    Residents of all ages, 16-64, 16-24 and 18-24 for the same wards, districts and benchmarks as the
    claimant count: the denominators of the claimant rates.
    """
    project.areas()
    mark = len(nomis.transport().fetched)
    ages = resolve_codes(nomis.codelist(DATASET, "c_age"), AGE_BANDS, f"Nomis {DATASET} c_age")
    release = nomis.dataset_release(DATASET)
    with warehouse.get_connection() as conn:
        geography, expected, labels = query_areas(conn, "population", DATASET)
        level = small_area_level(conn, "population")
        query = NomisQuery(
            dataset=DATASET, geography=tuple(geography), select=SELECT, time="first,latest",
            dimensions=(("gender", "0"), ("c_age", ",".join(ages.values())), ("measures", "20100")),
            label=f"Nomis {DATASET} (population estimates)",
        )
        loaded = load_nomis_query(conn, "raw_population", nomis, query, context.log, expected, labels)
        conn.execute("BEGIN")
        move_into_place(conn, "raw_population", loaded)
        loaded.release = release.get("LastUpdated", "")
        finish_source(conn, "raw_population", nomis, mark, DATASET, loaded)
        conn.execute("COMMIT")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": loaded.rows, "pages": loaded.pages, "latest_period": loaded.latest_period,
        "release": loaded.release, "geography_level": level,
    })
