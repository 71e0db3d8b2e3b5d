"""Contract tests: the Nomis client on real recorded Nomis API bodies (tests/fixtures/nomis, see its README).

Each body is served byte for byte from a local HTTP server (pytest-httpserver, 127.0.0.1) at the path Nomis
uses, `dataset/<ID>.data.csv`, and read through `NomisResource.iter_pages` / `fetch` -> `nomis_csv.parse_page`
with a query whose `select` is the body's own header (the Kirklees bodies were recorded without `select=`,
so they hold every column Nomis serves). The expected values come from the files themselves, read with
Python's csv module, and the checksum test keeps the files exactly as recorded.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from pathlib import Path

import pytest

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.clients.transport import UpstreamError, UpstreamFormatError

FIXTURES = Path(__file__).parent / "fixtures" / "nomis"
CLAIMANT = "nomis_kirklees__NM_162_1_claimant_count_E08000034_Feb2026.csv"
APS_RATES = "nomis_kirklees__NM_17_5_APS_rates_E08000034_Oct2024-Sep2025.csv"
APS_NVQ = "nomis_kirklees__NM_17_5_APS_NVQ4_missing_values_E08000034.csv"
TS066 = "nomis_kirklees__NM_2083_1_TS066_economic_activity_E08000034_2021.csv"
TS007A = "nomis_kirklees__NM_2020_1_TS007A_age_E08000034_2021.csv"
BRES = "nomis_kirklees__NM_189_1_BRES_total_E08000034_2024.csv"
BRES_BROAD = "nomis_kirklees__NM_189_1_BRES_broad_industry_E08000034_2024.csv"
BRES_SECTIONS = "nomis_kirklees__NM_189_1_BRES_SIC_sections_E08000034_2024.csv"
BUSINESS_COUNTS = "nomis_kirklees__NM_142_1_UK_business_counts_E08000034_2025.csv"
ASHE = "nomis_kirklees__NM_30_1_ASHE_resident_median_pay_E08000034_2025.csv"
JOBS_DENSITY = "nomis_kirklees__NM_57_1_jobs_density_E08000034_2023.csv"
HTML_ERROR = "nomis_kirklees__ERROR_html_page_served_instead_of_csv.html.gz"
TOMBOLO = "nomis_tombolo__NM_18_1_JSA_TYPE463_Jan2018__trimmed.csv"
GOOD_BODIES = (CLAIMANT, APS_RATES, APS_NVQ, TS066, TS007A, BRES, BRES_BROAD, BRES_SECTIONS, BUSINESS_COUNTS, ASHE,
               JOBS_DENSITY)

KIRKLEES_ID = "1774190688"  # TYPE423 "local authorities: county / unitary (as of April 2023)"
KIRKLEES_GSS = "E08000034"
KIRKLEES_LABELS = {KIRKLEES_ID: f"{KIRKLEES_GSS} Kirklees"}  # as query_areas and the geography metadata write it
# Kirklees's id as a "2022 local authorities: districts" area (TYPE154), as the Census URNs hold it.
KIRKLEES_2022_ID = "645922886"


# -- helpers ------------------------------------------------------------------------------------------------
def fixture_body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def dataset_of(name: str) -> str:
    return re.search(r"NM_\d+_\d+", name).group(0)


def file_rows(body: bytes) -> list[dict[str, str]]:
    """The body as Python's csv module reads it: the independent oracle for what the client must return."""
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))


def file_header(body: bytes) -> tuple[str, ...]:
    return tuple(next(csv.reader(io.StringIO(body.decode("utf-8"), newline=""))))


def serve(httpserver, dataset: str, body: bytes, content_type: str = "text/csv") -> None:
    httpserver.expect_request(f"/dataset/{dataset}.data.csv").respond_with_data(body, content_type=content_type)


def client(httpserver) -> NomisResource:
    return NomisResource(base_url=httpserver.url_for("/").rstrip("/"), source_mode="live",
                         backoff_seconds=0.01, max_retries=1)


def query(dataset: str, body: bytes, geography: tuple[str, ...] = (KIRKLEES_ID,)) -> NomisQuery:
    """A query whose `select` is every column of the body (Nomis's order), for `geography`."""
    return NomisQuery(dataset, geography, select=file_header(body), label=f"Nomis {dataset} contract test")


def fetch_fixture(httpserver, name: str, geography: tuple[str, ...] = (KIRKLEES_ID,),
                  labels: dict[str, str] | None = None, body: bytes | None = None):
    """Serve a fixture (or a mutation of it) and fetch it; also checks the bytes arrived unchanged."""
    body = fixture_body(name) if body is None else body
    dataset = dataset_of(name)
    serve(httpserver, dataset, body)
    result = client(httpserver).fetch(query(dataset, body, geography), labels)
    assert [r.body for r in result.responses] == [body]  # one page, byte for byte as served
    return result


def rows_where(table, **equal: str) -> list[dict[str, str]]:
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in equal.items())]


# -- every real body ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", GOOD_BODIES)
def test_real_body_is_read_cell_for_cell_as_text_in_one_page(httpserver, name):
    body = fixture_body(name)
    dataset = dataset_of(name)
    serve(httpserver, dataset, body)
    pages = list(client(httpserver).iter_pages(query(dataset, body)))
    assert len(pages) == 1
    table, response = pages[0]
    expected = file_rows(body)
    assert table.num_rows == len(expected) == body.count(b"\n") - 1  # every line but the header
    assert {int(n) for n in table["RECORD_COUNT"].to_pylist()} == {table.num_rows}
    assert table.column_names == list(file_header(body))
    assert all(str(t) == "string" for t in table.schema.types)
    assert table.to_pylist() == expected  # nothing trimmed, retyped or dropped: "_7", "0", "4.7", "" as written
    assert response.sha256 == hashlib.sha256(body).hexdigest()
    (request, _), = httpserver.log
    assert request.args["RecordOffset"] == "0" and request.args["geography"] == KIRKLEES_ID
    assert request.args["select"].split(",") == list(file_header(body))


# -- claimant count: GEOGRAPHY is the Nomis id --------------------------------------------------------------
def test_claimant_count_geography_is_the_nomis_id_and_a_missing_figure_is_empty_with_q(httpserver):
    result = fetch_fixture(httpserver, CLAIMANT)  # check_geographies passes for the id asked for
    table = result.table
    assert result.record_count == table.num_rows == 4
    assert set(table["GEOGRAPHY"].to_pylist()) == {KIRKLEES_ID}
    assert set(table["GEOGRAPHY_CODE"].to_pylist()) == {KIRKLEES_GSS}
    assert table["MEASURE"].to_pylist() == ["1", "2", "3", "4"]
    file = {r["MEASURE"]: r for r in file_rows(fixture_body(CLAIMANT))}
    (count,) = rows_where(table, MEASURE="1")
    assert count["OBS_VALUE"] == file["1"]["OBS_VALUE"] == "13090" and count["OBS_STATUS"] == "A"
    assert [r["OBS_VALUE"] for r in table.to_pylist()] == [file[m]["OBS_VALUE"] for m in "1234"]
    (workforce,) = rows_where(table, MEASURE="4")
    assert workforce["MEASURE_NAME"] == "Claimants as a proportion of the workforce"
    assert (workforce["OBS_VALUE"], workforce["OBS_STATUS"]) == ("", "Q")
    assert workforce["OBS_STATUS_NAME"] == "These figures are missing."
    assert (count["GENDER_TYPE"], count["AGE_TYPE"]) == ("Sex", "Ageband")


def test_claimant_count_is_found_by_gss_code_too(httpserver):
    result = fetch_fixture(httpserver, CLAIMANT, geography=(KIRKLEES_GSS,))
    assert result.table.num_rows == 4


def test_claimant_count_never_matches_another_id_through_its_gss_code(httpserver):
    """Where GEOGRAPHY holds ids, an id is matched on the id: Kirklees's 2022-district id has the same GSS
    code but is not the area that came back (a ward in two vintages has one code and two ids)."""
    labels = {KIRKLEES_2022_ID: f"{KIRKLEES_GSS} Kirklees"}
    with pytest.raises(UpstreamError) as err:
        fetch_fixture(httpserver, CLAIMANT, geography=(KIRKLEES_2022_ID,), labels=labels)
    message = str(err.value)
    assert "1 requested area(s) did not come back: E08000034 Kirklees" in message
    assert "Nomis ids matched on GEOGRAPHY" in message and "NM_162_1" in message


def test_claimant_count_empty_value_with_a_normal_status_is_refused(httpserver):
    """A real body cut in one place: MEASURE 1's count blanked, its status still A ("Normal Value")."""
    body = fixture_body(CLAIMANT)
    original = b'"1","Claimant count","1","measures",1000,0,"20100","Value",13090,"A",'
    assert body.count(original) == 1
    broken = body.replace(original, original.replace(b",13090,", b",,"))
    with pytest.raises(UpstreamFormatError) as err:
        fetch_fixture(httpserver, CLAIMANT, body=broken)
    message = str(err.value)
    assert "OBS_VALUE is empty for area E08000034 Kirklees, DATE 2026-02" in message
    assert "row 1 of the page, RECORD_OFFSET 0" in message
    assert "its OBS_STATUS is 'A' (Normal value), which does not mean missing" in message
    assert "Nomis NM_162_1 contract test" in message and "nothing was loaded" in message


# -- Annual Population Survey ---------------------------------------------------------------------------------
def test_aps_rates_keep_nomis_labels_exactly(httpserver):
    table = fetch_fixture(httpserver, APS_RATES).table
    assert table["VARIABLE"].to_pylist() == ["18", "45", "84", "111", "248", "249"]
    assert set(table["GEOGRAPHY"].to_pylist()) == {KIRKLEES_ID}
    assert set(table["MEASURES"].to_pylist()) == {"20599"}
    (unemployment,) = rows_where(table, VARIABLE="84")
    assert unemployment["VARIABLE_NAME"] == "Unemployment rate - aged 16-64 "  # Nomis's trailing space
    (in_file,) = [r for r in file_rows(fixture_body(APS_RATES)) if r["VARIABLE"] == "84"]
    assert unemployment["OBS_VALUE"] == in_file["OBS_VALUE"] == "4.6"
    assert (unemployment["OBS_STATUS"], unemployment["DATE_NAME"]) == ("A", "Oct 2024-Sep 2025")


def test_aps_discontinued_nvq_variables_are_missing_with_q_and_labels_keep_double_spaces(httpserver):
    table = fetch_fixture(httpserver, APS_NVQ).table
    assert table.num_rows == 7
    for variable in ("290", "291", "292", "346"):
        (row,) = rows_where(table, VARIABLE=variable)
        assert (row["OBS_VALUE"], row["OBS_STATUS"], row["OBS_STATUS_NAME"]) == ("", "Q", "These figures are missing.")
    names = {r["VARIABLE"]: r["VARIABLE_NAME"] for r in table.to_pylist()}
    assert names["1180"] == "% of all who received job rel. train. in last  4 wks - employees aged 16-64"
    assert names["1182"] == "% of females who received job rel. train. in last  4 wks - employees aged 16-64"
    assert names["1181"] == "% of males who received job rel. train. in last 4 wks - employees aged 16-64"
    values = {r["VARIABLE"]: r["OBS_VALUE"] for r in table.to_pylist()}
    assert values == {r["VARIABLE"]: r["OBS_VALUE"] for r in file_rows(fixture_body(APS_NVQ))}
    assert (values["1180"], values["1181"], values["1182"]) == ("17.9", "16.8", "18.9")


# -- Census, BRES, business counts: GEOGRAPHY is the GSS code --------------------------------------------------
def test_ts066_geography_is_the_gss_code_and_codes_keep_their_underscores(httpserver):
    table = fetch_fixture(httpserver, TS066, labels=KIRKLEES_LABELS).table  # asked by id, matched via GSS
    assert table.num_rows == 62
    assert set(table["GEOGRAPHY"].to_pylist()) == set(table["GEOGRAPHY_CODE"].to_pylist()) == {KIRKLEES_GSS}
    assert set(table["GEOGRAPHY_TYPE"].to_pylist()) == {"2022 local authorities: districts"}
    assert set(table["MEASURES"].to_pylist()) == {"20100", "20301"}
    unemployed = rows_where(table, C2021_EASTAT_20="7")
    assert {r["C2021_EASTAT_20_CODE"] for r in unemployed} == {"_7"}
    assert {r["C2021_EASTAT_20_NAME"] for r in unemployed} == {
        "Economically active (excluding full-time students): Unemployed"}  # leaf label: space after the colon
    total = rows_where(table, C2021_EASTAT_20="0")
    assert {r["C2021_EASTAT_20_CODE"] for r in total} == {"0"}
    assert {r["MEASURES"]: r["OBS_VALUE"] for r in total} == {"20100": "346271", "20301": "100.0"}
    assert {r["C2021_EASTAT_20_CODE"] for r in rows_where(table, C2021_EASTAT_20="1001")} == {"1001"}
    aggregates = {r["C2021_EASTAT_20_NAME"] for r in table.to_pylist() if len(r["C2021_EASTAT_20"]) == 4}
    assert "Economically active (excluding full-time students):In employment" in aggregates  # no space


def test_ts066_is_found_by_gss_code(httpserver):
    assert fetch_fixture(httpserver, TS066, geography=(KIRKLEES_GSS,)).table.num_rows == 62


@pytest.mark.parametrize("labels,named", [
    ({KIRKLEES_2022_ID: "Kirklees"}, "Kirklees"),
    ({}, f"Nomis id {KIRKLEES_2022_ID}"),
])
def test_ts066_id_without_a_gss_code_in_its_label_cannot_be_matched(httpserver, labels, named):
    """GEOGRAPHY holds only GSS codes here, so an id can be matched only through the code in its label."""
    with pytest.raises(UpstreamError) as err:
        fetch_fixture(httpserver, TS066, geography=(KIRKLEES_2022_ID,), labels=labels)
    message = str(err.value)
    assert f"1 requested area(s) did not come back: {named} (" in message
    assert "an id whose GSS code is not in its label cannot be matched in this dataset" in message
    assert "NM_2083_1" in message and f"geography={KIRKLEES_2022_ID}" in message


@pytest.mark.parametrize("name,geography", [
    (TS007A, (KIRKLEES_ID,)), (TS007A, (KIRKLEES_GSS,)),
    (BRES, (KIRKLEES_ID,)), (BRES, (KIRKLEES_GSS,)),
    (BUSINESS_COUNTS, (KIRKLEES_ID,)), (BUSINESS_COUNTS, (KIRKLEES_GSS,)),
    (ASHE, (KIRKLEES_ID,)), (ASHE, (KIRKLEES_GSS,)),
    (JOBS_DENSITY, (KIRKLEES_ID,)), (JOBS_DENSITY, (KIRKLEES_GSS,)),
])
def test_gss_geography_bodies_are_read_whole(httpserver, name, geography):
    result = fetch_fixture(httpserver, name, geography=geography, labels=KIRKLEES_LABELS)
    table = result.table
    assert result.record_count == table.num_rows == fixture_body(name).count(b"\n") - 1
    assert set(table["GEOGRAPHY"].to_pylist()) == set(table["GEOGRAPHY_CODE"].to_pylist()) == {KIRKLEES_GSS}
    assert table.to_pylist() == file_rows(fixture_body(name))


def test_ts007a_age_codes(httpserver):
    table = fetch_fixture(httpserver, TS007A, labels=KIRKLEES_LABELS).table
    assert table.num_rows == 38
    oldest = rows_where(table, C2021_AGE_19="18")
    assert {r["C2021_AGE_19_CODE"] for r in oldest} == {"_18"}
    assert {r["C2021_AGE_19_NAME"] for r in oldest} == {"Aged 85 years and over"}
    total = rows_where(table, C2021_AGE_19="0")
    assert {r["C2021_AGE_19_CODE"] for r in total} == {"0"}
    assert {r["MEASURES"]: r["OBS_VALUE"] for r in total} == {"20100": "433214", "20301": "100.0"}


def test_bres_total_under_a_labour_market_type(httpserver):
    table = fetch_fixture(httpserver, BRES, labels=KIRKLEES_LABELS).table
    assert set(table["GEOGRAPHY_TYPECODE"].to_pylist()) == {"423"}
    assert all(KIRKLEES_ID in urn for urn in table["URN"].to_pylist())  # the URN still holds the Nomis id
    assert {r["MEASURE_NAME"]: r["OBS_VALUE"] for r in table.to_pylist()} == {
        "Count": "162000", "Industry percentage": "100.0"}


def test_business_counts_sections(httpserver):
    table = fetch_fixture(httpserver, BUSINESS_COUNTS, labels=KIRKLEES_LABELS).table
    assert table.num_rows == 21
    assert table["INDUSTRY_CODE"].to_pylist() == [chr(c) for c in range(ord("A"), ord("U") + 1)]
    (agriculture,) = rows_where(table, INDUSTRY_CODE="A")
    assert agriculture["INDUSTRY_NAME"] == "A : Agriculture, forestry and fishing"
    assert agriculture["OBS_VALUE"] == "315"


# -- bodies the client must refuse ----------------------------------------------------------------------------
@pytest.mark.parametrize("content_type", ["text/html", "text/csv"])  # text/csv: a mislabelled page is sniffed
def test_html_error_page_is_refused(httpserver, content_type):
    page = gzip.decompress(fixture_body(HTML_ERROR))
    assert page.startswith(b"<!DOCTYPE html>") and b"error with the way your URI is formed" in page
    serve(httpserver, "NM_2083_1", page, content_type)
    body = fixture_body(TS066)  # the query the page stands in for
    returned = []
    with pytest.raises(UpstreamFormatError) as err:
        for table, _ in client(httpserver).iter_pages(query("NM_2083_1", body, (KIRKLEES_GSS,))):
            returned.append(table)
    assert returned == []
    message = str(err.value)
    assert "Nomis returned an HTML/XML page instead of CSV" in message
    assert "Nomis NM_2083_1 contract test" in message and "dataset/NM_2083_1.data.csv" in message
    assert "<!DOCTYPE html>" in message and "Nothing was loaded" in message


def test_tombolo_trimmed_select_body_is_refused_naming_the_missing_columns(httpserver):
    """Without RECORD_OFFSET/RECORD_COUNT the client cannot tell whether rows are missing; without GEOGRAPHY
    and OBS_STATUS it cannot check the areas or the values."""
    body = fixture_body(TOMBOLO)
    assert len(file_rows(body)) == 2
    serve(httpserver, "NM_18_1", body)
    tombolo_select = ("date_name", "geography_name", "geography_code", "measures_name", "duration_name",
                      "sex_name", "obs_value", "obs_status_name")
    jsa = NomisQuery("NM_18_1", ("TYPE463",), tombolo_select, date="2018-01", label="Nomis NM_18_1 contract test")
    with pytest.raises(UpstreamFormatError) as err:
        client(httpserver).fetch(jsa)
    message = str(err.value)
    assert "the CSV lacks columns ['GEOGRAPHY', 'OBS_STATUS', 'RECORD_OFFSET', 'RECORD_COUNT']" in message
    assert "Nomis NM_18_1 contract test" in message
    (request, _), = httpserver.log
    assert request.args["select"].split(",")[:8] == [c.upper() for c in tombolo_select]


# -- ASHE and jobs density: GEOGRAPHY is the GSS code, labour-market TYPE423 -----------------------------------
def test_ashe_dimensions_and_value_as_nomis_writes_them(httpserver):
    table = fetch_fixture(httpserver, ASHE, labels=KIRKLEES_LABELS).table
    (row,) = table.to_pylist()
    assert (row["GEOGRAPHY"], row["GEOGRAPHY_TYPECODE"]) == (KIRKLEES_GSS, "423")
    assert (row["SEX"], row["SEX_NAME"], row["SEX_TYPE"]) == ("7", "Total", "sex")
    # PAY's type is written "item" by Nomis, as ITEM's is.
    assert (row["PAY"], row["PAY_NAME"], row["PAY_TYPE"]) == ("7", "Annual pay - gross", "item")
    assert (row["ITEM"], row["ITEM_NAME"], row["ITEM_TYPE"]) == ("2", "Median", "item")
    assert (row["MEASURES"], row["MEASURES_NAME"], row["OBS_VALUE"], row["OBS_STATUS"]) == ("20100", "Value", "30238", "A")
    assert (row["DATE"], row["DATE_NAME"]) == ("2025", "2025")
    assert KIRKLEES_ID in row["URN"]


def test_jobs_density_total_jobs_and_density(httpserver):
    table = fetch_fixture(httpserver, JOBS_DENSITY, labels=KIRKLEES_LABELS).table
    assert {r["ITEM_NAME"]: r["OBS_VALUE"] for r in table.to_pylist()} == {"Total jobs": "183000", "Jobs density": "0.66"}
    assert set(table["ITEM"].to_pylist()) == {"1", "3"} and set(table["DATE"].to_pylist()) == {"2023"}
    assert set(table["GEOGRAPHY"].to_pylist()) == {KIRKLEES_GSS}


# -- the fixtures themselves ------------------------------------------------------------------------------------
def readme_checksums() -> dict[str, str]:
    readme = (FIXTURES / "README.md").read_text()
    block = re.search(r"^## Checksums.*?\n```\n(.*?)```", readme, re.S | re.M)
    assert block, "README.md has no ## Checksums block"
    return {name: digest for digest, name in (line.split() for line in block.group(1).splitlines() if line.strip())}


def test_fixtures_are_byte_for_byte_as_recorded():
    sums = readme_checksums()
    on_disk = {p.name for p in FIXTURES.iterdir() if p.name != "README.md"}
    assert set(sums) == on_disk == {*GOOD_BODIES, HTML_ERROR, TOMBOLO}
    assert {name: hashlib.sha256(fixture_body(name)).hexdigest() for name in on_disk} == sums
    assert len(gzip.decompress(fixture_body(HTML_ERROR))) == 135_433
