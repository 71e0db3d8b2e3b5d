"""Census 2021 (TS066, RM024) through a real local HTTP server: Nomis formats, ward type by name, the
LSOA best-fit path and the published-ward path, and their arithmetic."""

import re
from collections import defaultdict

import duckdb
import pytest
from werkzeug import Response

from lmi_demo.server import UpstreamSim
from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.defs.geography.nomis_geographies import all_types, newest_of_each_level
from lmi_pipeline.defs.sources.census import RM024_AGE, RM024_STATUS, TS066_STATUS
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.sources.codes import resolve_codes
from tests.conftest import live_settings, make_project, sim_handler
from tests.sources_helpers import materialize_upstream_of, nomis_id, served_rows

PARK_WOOD, GENSING, HASTINGS = "E05005002", "E05011207", "E07000062"


def _step_failure(result) -> str:
    """The failed step's message (a run may also report a run-level failure after it)."""
    steps = [m for m in failure_messages(result) if not m.startswith("run:")]
    assert len(steps) == 1, steps
    return steps[0]


def _nomis(upstream: str, sim: UpstreamSim) -> NomisResource:
    return NomisResource(base_url=sim.base_urls(upstream)["NOMIS_BASE_URL"], source_mode="live",
                         backoff_seconds=0.01, max_retries=1)


def test_types_and_codes_are_found_by_name(upstream, sim):
    nomis = _nomis(upstream, sim)
    ts066 = newest_of_each_level(all_types(nomis.geography_types("NM_2083_1")))
    assert (ts066["ward"].name, ts066["ward"].vintage) == ("2022 wards", 2022)
    assert ts066["lad"].name == "2022 local authorities: districts" and ts066["county"].name.endswith("counties")
    rm024 = newest_of_each_level(all_types(nomis.geography_types("NM_2124_1")))
    assert "ward" not in rm024 and rm024["lsoa"].name == "2021 super output areas - lower layer"
    codes = resolve_codes(nomis.codelist("NM_2083_1", "c2021_eastat_20"), TS066_STATUS, "TS066")
    assert codes["unemployed_excl_students"] == "7" and codes["active_excl_students"] == "1001"
    assert codes["unemployed_students"] == "14" and codes["active_students"] == "1006"
    assert [codes[f"inactive_{k}"] for k in ("retired", "student", "looking_after_home", "long_term_sick", "other")] \
        == ["15", "16", "17", "18", "19"]
    rm = resolve_codes(nomis.codelist("NM_2124_1", "c2021_eastat_7"), RM024_STATUS, "RM024")
    assert rm["unemployed_excl_students"] == "2"
    assert (rm["employed_students"], rm["unemployed_students"]) == ("3", "4")
    assert resolve_codes(nomis.codelist("NM_2124_1", "c2021_age_7"), RM024_AGE, "RM024") == {"16-24": "2"}


def test_csv_is_in_the_nomis_census_layout(upstream, sim):
    """Quoted text, bare numbers, the API's colon-without-space category labels, every row A."""
    ward = nomis_id(sim, GENSING, 153)
    _, _, body = sim.nomis.handle("dataset/NM_2083_1.data.csv", {
        "geography": ward, "date": "latest", "c2021_eastat_20": "1001,7", "measures": "20100",
        "select": "DATE,GEOGRAPHY_CODE,GEOGRAPHY_TYPE,C2021_EASTAT_20,C2021_EASTAT_20_NAME,OBS_VALUE,OBS_STATUS,"
                  "RECORD_OFFSET,RECORD_COUNT"})
    lines = body.decode().splitlines()
    assert lines[0] == ('"DATE","GEOGRAPHY_CODE","GEOGRAPHY_TYPE","C2021_EASTAT_20","C2021_EASTAT_20_NAME",'
                        '"OBS_VALUE","OBS_STATUS","RECORD_OFFSET","RECORD_COUNT"')
    assert re.fullmatch(r'"2021","E05011207","2022 wards",7,"Economically active \(excluding full-time students\):'
                        r'Unemployed",\d+,"A",1,2', lines[2])


@pytest.fixture(scope="module")
def best_fit_run(tmp_path_factory):
    """TS066 and RM024 (LSOAs, aggregated by best fit) for the default areas: a partial real run."""
    from lmi_demo.server import serve

    sim = UpstreamSim()
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path_factory.mktemp("census")), sim, root)
        assert materialize_upstream_of(settings, "census_economic_activity").success
    conn = duckdb.connect(str(settings.work_db), read_only=True)
    yield sim, conn
    conn.close()


def test_best_fit_sums_the_wards_lsoas(best_fit_run):
    """Park Wood aged 16-24 = the sum of its LSOAs as Nomis served them, mapped by the ONS lookup."""
    sim, conn = best_fit_run
    lsoas = [s.code for s in sim.world.lsoas if s.ward_code == PARK_WOOD]
    assert len(lsoas) >= 2
    served = served_rows(sim, "NM_2124_1", geography=",".join(nomis_id(sim, c, 151) for c in lsoas), date="latest",
                         c_sex="0", c2021_age_7="2", c2021_eastat_7="0,1,2,3,4,5")
    totals = defaultdict(float)
    for r in served:
        totals[r["C2021_EASTAT_7"]] += float(r["OBS_VALUE"])
    got = dict(conn.execute("""SELECT status, value FROM census_economic_activity
        WHERE area_code = ? AND age_band = '16-24'""", [PARK_WOOD]).fetchall())
    assert got == {"all_residents": totals["0"], "employed_excl_students": totals["1"],
                   "unemployed_excl_students": totals["2"], "employed_students": totals["3"],
                   "unemployed_students": totals["4"], "inactive_excl_students": totals["5"]}
    method = conn.execute("""SELECT DISTINCT geography_method, lsoas, ward_vintage FROM census_economic_activity
        WHERE area_code = ? AND age_band = '16-24'""", [PARK_WOOD]).fetchall()
    # On TS066's 2022 wards, but built from LSOAs, not TS066's output areas: a coarser footprint.
    assert method == [("lsoa_best_fit", len(lsoas), 2022)]
    dataset = conn.execute("""SELECT DISTINCT dataset FROM source_requests
        WHERE source_asset = 'raw_census_age_activity' AND url LIKE '%.data.csv%'""").fetchall()
    assert dataset == [("NM_2124_1 (2021 LSOAs; aggregated to wards by LSOA21 best fit)",)]  # provenance says so


def test_ts066_ward_figures_are_as_served(best_fit_run):
    sim, conn = best_fit_run
    served = {r["C2021_EASTAT_20"]: float(r["OBS_VALUE"]) for r in served_rows(
        sim, "NM_2083_1", geography=nomis_id(sim, GENSING, 153), date="latest",
        c2021_eastat_20="0,1001,7,1006,14,15,16,17,18,19")}
    got = dict(conn.execute("""SELECT status, value FROM census_economic_activity
        WHERE area_code = ? AND age_band = '16+' AND ward_vintage = 2022""", [GENSING]).fetchall())
    assert got["unemployed_excl_students"] == served["7"] and got["active_excl_students"] == served["1001"]
    assert got["unemployed_students"] == served["14"] and got["active_students"] == served["1006"] > 0
    assert got["inactive_long_term_sick"] == served["18"] and got["all_residents"] == served["0"]
    levels = conn.execute("SELECT DISTINCT area_level FROM census_economic_activity ORDER BY 1").fetchall()
    assert [lvl for (lvl,) in levels] == ["country", "county", "lad", "lsoa", "region", "ward"]
    assert conn.execute("SELECT DISTINCT period FROM census_economic_activity").fetchone()[0].isoformat() == "2021-03-01"


def test_published_ward_path_when_nomis_publishes_rm024_for_wards(tmp_path, httpserver):
    """Nomis publishing RM024 for 2022 wards: the wards are read directly (ONS's own ward figures, not LSOA
    sums), and agree with the LSOA sums (in the synthetic world a ward is exactly its LSOAs), students too."""
    sim = UpstreamSim()
    sim.nomis.offer_ward_type("NM_2124_1", 2022)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(sim_handler(sim))
    settings = live_settings(make_project(tmp_path), sim, httpserver.url_for("/").rstrip("/"))
    assert materialize_upstream_of(settings, "census_economic_activity").success
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        rows = conn.execute("""SELECT DISTINCT geography_method, ward_vintage, source_dataset FROM census_economic_activity
            WHERE area_level = 'ward' AND age_band = '16-24'""").fetchall()
        lsoa_rows = conn.execute("SELECT count(*) FROM census_economic_activity WHERE area_level = 'lsoa'").fetchone()[0]
        park_wood = dict(conn.execute("""SELECT status, value FROM census_economic_activity
            WHERE area_code = ? AND age_band = '16-24'""", [PARK_WOOD]).fetchall())
        dataset = conn.execute("""SELECT DISTINCT dataset FROM source_requests
            WHERE source_asset = 'raw_census_age_activity' AND url LIKE '%.data.csv%'""").fetchall()
    assert rows == [("published", 2022, "NM_2124_1")] and lsoa_rows == 0
    assert dataset == [("NM_2124_1",)]
    lsoas = [s.code for s in sim.world.lsoas if s.ward_code == PARK_WOOD]
    summed = defaultdict(float)
    for r in served_rows(sim, "NM_2124_1", geography=",".join(nomis_id(sim, c, 151) for c in lsoas), date="latest",
                         c_sex="0", c2021_age_7="2", c2021_eastat_7="2,4"):
        summed[r["C2021_EASTAT_7"]] += float(r["OBS_VALUE"])
    assert park_wood["unemployed_excl_students"] == summed["2"] > 0
    assert park_wood["unemployed_students"] == summed["4"] > 0
    assert any("NM_2124_1.data.csv" in p and "TYPE153" in p for p in sim.log)  # asked for wards, not LSOAs


def test_lsoa_missing_from_the_lookup_stops_the_run(tmp_path, httpserver):
    """A best-fit total from an incomplete LSOA list would be silently low: the run stops, naming the LSOA."""
    sim = UpstreamSim()
    handler = sim_handler(sim)
    first = next(x.code for x in sim.world.lsoas if x.lad_code == "E07000062")

    def drop_one_lsoa(request):
        response = handler(request)
        if "LSOA21_WD22" in request.path:
            body = re.sub(r'\{"attributes": \{"LSOA21CD": "' + first + r'"[^}]*\}\}, ', "",
                          response.get_data(as_text=True))
            return Response(body, status=200, content_type="application/json")
        return response

    httpserver.expect_request(re.compile(".*")).respond_with_handler(drop_one_lsoa)
    settings = live_settings(make_project(tmp_path), sim, httpserver.url_for("/").rstrip("/"))
    result = materialize_upstream_of(settings, "census_economic_activity", raise_on_error=False)
    assert not result.success
    message = _step_failure(result)
    assert message.startswith("census_economic_activity: UpstreamFormatError")
    assert f"{first}: served by Nomis but not in the ONS lookup" in message
