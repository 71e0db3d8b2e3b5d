"""Census 2021 TS067 (qualifications), TS060 (industry) and TS063 (occupation): the client, the label patterns, the
tidy table and the indicator SQL, on bodies in the real Nomis Census layout.

No real Nomis body of these three tables was available (none in the shared collection of recorded bodies), so
each body here is BUILT in the layout of the real TS066 Kirklees body (tests/fixtures/nomis, NM_2083_1): the
same columns in the same order, every text field quoted and numbers bare, the category code quoted with its
_CODE carrying a leading underscore for a category ("_6") but not for the total ("0") or an aggregate ("1001"),
measures 20100 Value and 20301 Percent, GEOGRAPHY the GSS code. The category labels are the ones public code
querying the live API shows (traffordDataLab/open_data census2021 files; see defs/sources/census_skills.py);
the counts are made up. TS060's section aggregates are labelled "G: ..." as in the Nomis bulk files' column names
(their codes are unverified): both cases are tested, with and without them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.tidy import build, label_table
from lmi_pipeline.defs.indicators import area_indicators
from lmi_pipeline.defs.sources.census_skills import (IND_SELECT, OCC_SELECT, QUAL_SELECT, TS063, TS063_OCCUPATION,
                                                     TS067, TS067_QUALIFICATION)
from lmi_pipeline.defs.warehouse import census_skills
from lmi_pipeline.sources.codes import resolve_codes

TS066_BODY = (Path(__file__).parent / "fixtures" / "nomis"
              / "nomis_kirklees__NM_2083_1_TS066_economic_activity_E08000034_2021.csv")
KIRKLEES = ("E08000034", "Kirklees", "2022 local authorities: districts", 154)
WARD = ("E05013165", "Almondbury", "2022 wards", 153)  # a made-up count for a Kirklees ward code's shape

QUALIFICATIONS = [("0", "Total: All usual residents aged 16 years and over", 1000),
                  ("1", "No qualifications", 201), ("2", "Level 1 and entry level qualifications", 99),
                  ("3", "Level 2 qualifications", 140), ("4", "Apprenticeship", 55), ("5", "Level 3 qualifications", 170),
                  ("6", "Level 4 qualifications or above", 305), ("7", "Other qualifications", 30)]
IN_WORK = "Total: All usual residents aged 16 years and over in employment the week before the census"
OCCUPATIONS = [("0", IN_WORK, 600),
               ("1", "1. Managers, directors and senior officials", 61), ("2", "2. Professional occupations", 110),
               ("3", "3. Associate professional and technical occupations", 79),
               ("4", "4. Administrative and secretarial occupations", 60), ("5", "5. Skilled trades occupations", 62),
               ("6", "6. Caring, leisure and other service occupations", 57),
               ("7", "7. Sales and customer service occupations", 45),
               ("8", "8. Process, plant and machine operatives", 50),
               ("9", "9. Elementary occupations", 76)]
INDUSTRY_LEAVES = [("0", IN_WORK, 600),
                   ("38", "41 Construction of buildings; 42 Civil engineering; 43 Specialised construction activities",
                    52),
                   ("39", "45 Wholesale and retail trade and repair of motor vehicles and motorcycles", 11),
                   ("40", "46 Wholesale trade, except of motor vehicles and motorcycles", 19),
                   ("41", "47 Retail trade, except of motor vehicles and motorcycles", 61),
                   ("48", "55 Accommodation", 9), ("49", "56 Food and beverage service activities", 24),
                   ("77", "86 Human health activities", 55), ("78", "87 Residential care activities", 14),
                   ("79", "88 Social work activities without accommodation", 18),
                   ("70", "85 Education", 355)]  # the rest of the 600, in one made-up category
SECTIONS = [("1006", "F: Construction", 52),
            ("1007", "G: Wholesale and retail trade; repair of motor vehicles and motorcycles", 91),
            ("1009", "I: Accommodation and food service activities", 33),
            ("1017", "Q: Human health and social work activities", 87)]


def census_body(dataset: str, dim: str, dim_type: str, categories, areas=(KIRKLEES, WARD)) -> bytes:
    """A body in the real TS066 body's layout: its header with the category dimension renamed, value and percent."""
    header = next(csv.reader(io.StringIO(TS066_BODY.read_text())))
    header = [h.replace("C2021_EASTAT_20", dim) for h in header]
    rows = []
    total = sum(1 for _ in areas) * len(categories) * 2
    for gss, name, type_name, type_code in areas:
        base = categories[0][2]  # the total
        for sort, (code, label, count) in enumerate(categories):
            for measure, measure_name, value in (("20100", "Value", str(count)),
                                                 ("20301", "Percent", f"{100 * count / base:.1f}")):
                code_text = f"_{code}" if 0 < int(code) < 1000 else code
                rows.append(['"2021"', '"2021"', '"2021"', '"date"', "0", "0", f'"{gss}"', f'"{name}"', f'"{gss}"',
                             f'"{type_name}"', str(type_code), "0", f'"{code}"', f'"{label}"', f'"{code_text}"',
                             f'"{dim_type}"', "1000000", str(sort), f'"{measure}"', f'"{measure_name}"', value, '"A"',
                             '"Normal Value"', '"F"', '"Free (free for publication)"',
                             f'"Nm-{dataset[3:7]}d1d{gss}d{code}d{measure}"', str(len(rows)), str(total)])
    lines = [",".join(f'"{h}"' for h in header)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def fetch(httpserver, dataset: str, body: bytes, select: tuple[str, ...]) -> pa.Table:
    httpserver.expect_request(f"/dataset/{dataset}.data.csv").respond_with_data(body, content_type="text/csv")
    nomis = NomisResource(base_url=httpserver.url_for("/").rstrip("/"), source_mode="live", backoff_seconds=0.01,
                          max_retries=1)
    header = next(csv.reader(io.StringIO(body.decode())))
    result = nomis.fetch(NomisQuery(dataset, (KIRKLEES[0], WARD[0]), select=tuple(header),
                                    label=f"Nomis {dataset} census skills test"))
    table = result.table
    table = table.filter(pa.compute.equal(table["MEASURES"], "20100"))  # as the pipeline asks (measures=20100)
    return table.select([c for c in select]).append_column("query_id", pa.array([f"q_{dataset}"] * table.num_rows))


def test_the_bodies_read_as_text_and_every_wanted_category_resolves_by_label(httpserver):
    body = census_body(TS067, "C2021_HIQUAL_8", "Highest level of qualification", QUALIFICATIONS)
    table = fetch(httpserver, TS067, body, QUAL_SELECT)
    assert table.num_rows == 2 * len(QUALIFICATIONS) and all(str(t) == "string" for t in table.schema.types)
    assert set(table["GEOGRAPHY"].to_pylist()) == {KIRKLEES[0], WARD[0]}
    codelist = {c: label for c, label, _ in QUALIFICATIONS}
    assert resolve_codes(codelist, TS067_QUALIFICATION, "TS067") == {
        "total": "0", "no_qualifications": "1", "level_1_entry": "2", "level_2": "3", "apprenticeship": "4",
        "level_3": "5", "level_4_plus": "6", "other": "7"}
    occupations = resolve_codes({c: label for c, label, _ in OCCUPATIONS}, TS063_OCCUPATION, "TS063")
    assert occupations == {"total": "0", **{f"soc_{k}": str(k) for k in range(1, 10)}}
    # The labels the Trafford ward files show with their numbers stripped are matched too.
    assert resolve_codes({"9": "Elementary occupations"}, {"soc_9": TS063_OCCUPATION["soc_9"]}, "TS063") \
        == {"soc_9": "9"}
    assert resolve_codes({"6": "Level 4 qualifications and above"},
                         {"l4": TS067_QUALIFICATION["level_4_plus"]}, "TS067") == {"l4": "6"}


@pytest.fixture
def warehouse(httpserver):
    """The three bodies fetched through the client into raw tables, then census_skills_work and the figures."""
    def run(industry) -> duckdb.DuckDBPyConnection:
        conn = duckdb.connect()
        for dataset, dim, kind, cats, select, raw in [
                (TS067, "C2021_HIQUAL_8", "Highest level of qualification", QUALIFICATIONS, QUAL_SELECT,
                 "raw_census_qualifications"),
                (TS063, "C2021_OCC_10", "Occupation (current)", OCCUPATIONS, OCC_SELECT, "raw_census_occupation"),
                ("NM_2077_1", "C2021_IND_88", "Industry (current)", industry, IND_SELECT, "raw_census_industry")]:
            table = fetch(httpserver, dataset, census_body(dataset, dim, kind, cats), select)
            conn.register("t", table)
            conn.execute(f"CREATE TABLE {raw} AS SELECT * FROM t")
            conn.unregister("t")
            httpserver.clear()
        build(conn, census_skills.__file__, "census_skills_work",
              ["area_code", "area_level", "ward_vintage", "topic", "category"], "test",
              labels=label_table({TS067: TS067_QUALIFICATION, TS063: TS063_OCCUPATION}), unrecognised="category")
        conn.execute(f"CREATE TABLE figures AS {load_sql(area_indicators.__file__, 'figures_census_skills')}")
        return conn
    return run


def figures(conn, area: str) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in conn.execute("""SELECT indicator, value, numerator, denominator, status,
        source_dataset, ward_vintage, area_level FROM figures WHERE area_code = ?""", [area]).fetchall()}


def test_tidy_table_and_shares_without_section_aggregates(warehouse):
    conn = warehouse(INDUSTRY_LEAVES)
    rows = conn.execute("""SELECT topic, count(*) FROM census_skills_work WHERE area_code = ? GROUP BY topic""",
                        [WARD[0]]).fetchall()
    assert dict(rows) == {"qualification": 8, "occupation": 10, "industry": len(INDUSTRY_LEAVES)}
    assert conn.execute("SELECT DISTINCT ward_vintage, area_level FROM census_skills_work WHERE area_code = ?",
                        [WARD[0]]).fetchall() == [(2022, "ward")]
    retail = conn.execute("""SELECT category, category_code, category_kind, sic_section, sic_division, value
        FROM census_skills_work WHERE area_code = ? AND category = 'ind_41'""", [KIRKLEES[0]]).fetchone()
    assert retail == ("ind_41", "41", "division", "G", 47, 61.0)
    construction = conn.execute("""SELECT sic_section, sic_division FROM census_skills_work
        WHERE area_code = ? AND category = 'ind_38'""", [KIRKLEES[0]]).fetchone()
    assert construction == ("F", 41)  # "41 ...; 42 ...; 43 ..." is one category in section F
    got = figures(conn, WARD[0])
    assert got["census_no_qualifications_pct"][:4] == (20.1, 201.0, 1000.0, "official")
    assert got["census_level4_plus_pct"][:4] == (30.5, 305.0, 1000.0, "official")
    assert got["census_apprenticeship_pct"][:4] == (5.5, 55.0, 1000.0, "official")
    assert got["census_elementary_occupations_pct"][:4] == (12.7, 76.0, 600.0, "official")
    assert got["census_managers_professional_pct"][:4] == (41.7, 250.0, 600.0, "computed")  # 61 + 110 + 79
    # No section aggregate served: the section is its detailed categories summed, and says so.
    assert got["census_industry_retail_pct"][:4] == (15.2, 91.0, 600.0, "computed")  # 11 + 19 + 61
    assert got["census_industry_accommodation_food_pct"][:4] == (5.5, 33.0, 600.0, "computed")
    assert got["census_industry_health_social_pct"][:4] == (14.5, 87.0, 600.0, "computed")
    assert got["census_industry_construction_pct"][:4] == (8.7, 52.0, 600.0, "computed")
    assert got["census_no_qualifications_pct"][4:] == ("NM_2084_1 (ONS 2022 ward figures: output areas by best fit)",
                                                       2022, "ward")
    assert figures(conn, KIRKLEES[0])["census_industry_retail_pct"][4:] == ("NM_2077_1", None, "lad")


def test_published_section_aggregates_are_used_as_official(warehouse):
    conn = warehouse(INDUSTRY_LEAVES[:1] + SECTIONS + INDUSTRY_LEAVES[1:])
    kinds = dict(conn.execute("""SELECT category, category_kind FROM census_skills_work WHERE area_code = ?
        AND topic = 'industry'""", [WARD[0]]).fetchall())
    assert kinds["ind_1007"] == "section" and kinds["ind_41"] == "division" and kinds["total"] == "total"
    got = figures(conn, WARD[0])
    assert got["census_industry_retail_pct"][:4] == (15.2, 91.0, 600.0, "official")
    assert got["census_industry_health_social_pct"][:4] == (14.5, 87.0, 600.0, "official")


def test_an_unclassified_label_or_a_suppressed_cell_leaves_the_share_null(warehouse):
    odd = ("90", "Wholesale and retail not otherwise specified", 3)  # a label naming no division: unverified
    conn = warehouse(INDUSTRY_LEAVES + [odd])
    assert conn.execute("""SELECT DISTINCT category_kind, sic_section FROM census_skills_work
        WHERE category = 'ind_90'""").fetchall() == [("unclassified", None)]
    got = figures(conn, WARD[0])
    assert got["census_industry_retail_pct"][0] is None  # it might belong to G: no partial sum is published
    assert got["census_no_qualifications_pct"][0] == 20.1  # the other tables are unaffected
    conn.execute("UPDATE raw_census_qualifications SET OBS_VALUE = '', OBS_STATUS = '!' "
                 "WHERE C2021_HIQUAL_8 = '1' AND GEOGRAPHY_CODE = ?", [WARD[0]])
    build(conn, census_skills.__file__, "census_skills_work",
          ["area_code", "area_level", "ward_vintage", "topic", "category"], "test",
          labels=label_table({TS067: TS067_QUALIFICATION, TS063: TS063_OCCUPATION}), unrecognised="category")
    row = conn.execute("SELECT value, is_suppressed FROM census_skills_work WHERE area_code = ? "
                       "AND category = 'no_qualifications'", [WARD[0]]).fetchone()
    assert row == (None, True)
    share = conn.execute(load_sql(area_indicators.__file__, 'figures_census_skills')
                         + " AND s.area_code = '" + WARD[0] + "' AND s.indicator = 'census_no_qualifications_pct'"
                         ).fetchone()
    assert share[6] is None and share[7] is None and share[8] == 1000.0  # suppressed stays NULL, never 0
