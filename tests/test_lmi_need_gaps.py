"""lmi_need_gaps on hand-made fixtures: one need per status, for one focus ward and its district, so each status
and what it names (the source to add, the level held, why nothing is published) is checked on its own."""

from datetime import date

import duckdb
import pyarrow as pa
import pytest

from lmi_pipeline.defs.analyses.lmi_need_gaps import build_lmi_need_gaps
from lmi_pipeline.defs.indicators.lmi_needs import CREATE_NEEDS
from lmi_pipeline.indicators.needs import NEEDS_COLUMNS
from tests.gap_tables import make_table

WARD, LAD = "E05000001", "E07000001"
GAP_COLUMNS = {"place_level": "VARCHAR", "place_code": "VARCHAR", "place_name": "VARCHAR", "lad_code": "VARCHAR",
               "lad_name": "VARCHAR", "indicator": "VARCHAR", "label": "VARCHAR", "coverage": "VARCHAR",
               "figure_status": "VARCHAR", "available_level": "VARCHAR", "available_area_name": "VARCHAR",
               "latest_period": "DATE", "next_release_due": "DATE", "is_stale": "BOOLEAN", "is_dated": "BOOLEAN",
               "limits": "VARCHAR", "source_problem": "VARCHAR", "data_label": "VARCHAR", "as_of": "DATE",
               "latest_value": "DOUBLE", "latest_lower": "DOUBLE", "latest_upper": "DOUBLE", "unit": "VARCHAR",
               "small_number": "BOOLEAN"}
AS_OF = date(2026, 12, 4)


def gap(place_level: str, indicator: str, coverage: str, status: str | None = None, level: str | None = None,
        stale: bool = False) -> tuple:
    code, name = (WARD, "Gensing") if place_level == "ward" else (LAD, "Hastings")
    return (place_level, code, name, LAD, "Hastings", indicator, indicator.replace("_", " "), coverage, status, level,
            "East Sussex" if level == "county" else None, date(2026, 10, 1) if status else None,
            date(2026, 11, 18) if status else None, stale, False, None,
            "upstream failed" if coverage == "not_available_this_run" else None, "synthetic demo data", AS_OF,
            4.2 if status else None, 4.1 if status else None, 4.3 if status else None, "%", False)


def source(lowest: str, access: str, loaded: bool = False, dataset_id: str = "X_1") -> dict:
    return {"publisher": "ONS", "dataset": f"Dataset {dataset_id}", "dataset_id": dataset_id,
            "lowest_geography": lowest, "cadence": "annual", "latest_period": "2025", "checked_on": "2026-12-04",
            "access": access, "loaded": loaded, "loaded_as": [], "catalogue_name": None,
            "url": f"https://example.org/{dataset_id}", "note": "a note"}


# need -> (its indicators, its sources, not published for small areas)
NEEDS = {
    "held": (["ind_official"], [source("lsoa", "open", loaded=True, dataset_id="NM_1_1")], False),
    "held_proxy": (["ind_proxy"], [source("lsoa", "open", loaded=True, dataset_id="NM_2_1")], False),
    "failed": (["ind_failed"], [source("lsoa", "open", loaded=True, dataset_id="NM_3_1")], False),
    "open_unloaded": ([], [source("lad", "open", dataset_id="NM_30_1"), source("lsoa", "open", dataset_id="TS067")],
                      False),
    "free_key": ([], [source("lsoa", "free_key", dataset_id="UC_Monthly")], False),
    "licensed": ([], [source("ward", "licensed", dataset_id="Lightcast")], False),
    "county_only": (["ind_county"], [source("county", "open", loaded=True, dataset_id="neet")], False),
    "district_only_unloaded": ([], [source("lad", "open", dataset_id="NM_57_1")], False),
    "nothing": ([], [], True),
}
GAPS = [gap("ward", "ind_official", "available", "official", "ward"),
        gap("ward", "ind_proxy", "proxy", "proxy", "ward"),
        gap("ward", "ind_failed", "not_available_this_run"),
        gap("ward", "ind_county", "county_only", "official", "county", stale=True),
        gap("lad", "ind_official", "available", "official", "lad"),
        gap("lad", "ind_proxy", "proxy", "proxy", "lad"),
        gap("lad", "ind_failed", "not_available_this_run"),
        gap("lad", "ind_county", "county_only", "official", "county")]


@pytest.fixture
def conn(tmp_path):
    conn = duckdb.connect(str(tmp_path / "needs.duckdb"))
    make_table(conn, "lmi_gaps", GAP_COLUMNS, GAPS)
    rows = []
    for position, (need, (indicators, sources, unpublished)) in enumerate(NEEDS.items(), start=1):
        base = {"need_position": position, "need_id": need, "need_label": need.replace("_", " "),
                "question": f"What about {need}?", "indicators": indicators,
                "not_published_for_small_areas": unpublished,
                "why": "nobody publishes it below England" if unpublished else None}
        for s in sources or [dict.fromkeys(source("none", "open"))]:
            rows.append({**base, **s})
    conn.execute(CREATE_NEEDS)
    conn.register("rows", pa.Table.from_pylist(rows))
    conn.execute(f"INSERT INTO lmi_needs SELECT {', '.join(n for n, _, _ in NEEDS_COLUMNS)} FROM rows")
    build_lmi_need_gaps(conn)
    yield conn
    conn.close()


def status(conn, place: str, need: str) -> dict:
    cur = conn.execute("SELECT * FROM lmi_need_gaps WHERE place_code = ? AND need_id = ?", [place, need])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1, rows
    return dict(zip(names, rows[0]))


def test_every_place_has_every_need_once(conn):
    assert conn.execute("SELECT count(*), count(DISTINCT (place_code, need_id)) FROM lmi_need_gaps").fetchone() == \
        (2 * len(NEEDS), 2 * len(NEEDS))


def test_held_for_the_place_names_its_status(conn):
    held = status(conn, WARD, "held")
    assert (held["status"], held["held_status"], held["available_level"], held["indicator"]) == \
        ("held", "official", "ward", "ind_official")
    assert held["latest_period"] == date(2026, 10, 1) and not held["is_stale"]
    assert status(conn, WARD, "held_proxy")["held_status"] == "proxy"


def test_a_failed_source_is_not_mistaken_for_a_gap(conn):
    failed = status(conn, WARD, "failed")
    assert failed["status"] == "not_available_this_run" and "upstream failed" in failed["what_to_do"]


def test_an_open_source_not_loaded_names_the_smallest_that_covers_the_place(conn):
    ward = status(conn, WARD, "open_unloaded")
    assert ward["status"] == "published_not_loaded" and "TS067" in ward["source_to_add"]
    assert ward["source_url"] == "https://example.org/TS067"
    # For the district, either source covers it; the smaller geography is named first.
    assert status(conn, LAD, "open_unloaded")["source_to_add"].startswith("Dataset TS067")


def test_free_key_and_licensed_sources(conn):
    assert status(conn, WARD, "free_key")["status"] == "free_key"
    assert "UC_Monthly" in status(conn, WARD, "free_key")["source_to_add"]
    licensed = status(conn, WARD, "licensed")
    assert licensed["status"] == "licensed_only" and "Lightcast" in licensed["what_to_do"]


def test_only_for_a_larger_area(conn):
    county = status(conn, WARD, "county_only")
    assert (county["status"], county["available_level"], county["available_area_name"]) == \
        ("larger_area_only", "county", "East Sussex")
    assert county["is_stale"]  # freshness of the larger-area figure is kept
    # Published only for districts and not loaded: the ward's gap is a larger area's, naming the source ...
    ward = status(conn, WARD, "district_only_unloaded")
    assert ward["status"] == "larger_area_only" and ward["available_level"] == "lad"
    assert ward["source_to_add"] == "Dataset NM_57_1 (NM_57_1), not loaded here"
    # ... while for the district itself the same source is one to add.
    assert status(conn, LAD, "district_only_unloaded")["status"] == "published_not_loaded"


def test_not_published_for_small_areas_says_why(conn):
    nothing = status(conn, WARD, "nothing")
    assert nothing["status"] == "not_published" and nothing["why_not_published"] == "nobody publishes it below England"
    assert "primary research" in nothing["what_to_do"]


def test_the_research_focus_lists_exactly_the_fixture_wards_gaps(conn):
    from lmi_pipeline.publish.research_focus import render_markdown, research_focus

    make_table(conn, "ward_lookup", {"ward_code": "VARCHAR", "ward_name": "VARCHAR", "ward_vintage": "INTEGER",
                                     "lad_code": "VARCHAR", "lad_name": "VARCHAR", "is_focus": "BOOLEAN",
                                     "focus_name": "VARCHAR"},
               [(WARD, "Gensing", 2024, LAD, "Hastings", True, "Gensing"),
                ("E05000002", "Ore", 2024, LAD, "Hastings", False, None)])
    make_table(conn, "ward_boundary_sets", {"lad_code": "VARCHAR", "ward_vintage": "INTEGER", "is_ranking_set": "BOOLEAN"},
               [(LAD, 2024, True)])
    [ward] = research_focus(conn)
    assert ward.ward_code == WARD
    # Held only as a proxy, only for a larger area, only under licence, or not at all: the lines of enquiry.
    assert ward.enquiry_needs == ["held_proxy", "licensed", "county_only", "district_only_unloaded", "nothing"]
    assert [line.split(":")[0] for line in ward.to_add] == ["open unloaded", "free key"]
    assert [line.split(":")[0] for line in ward.data_say] == ["held"]
    assert [line.split(":")[0] for line in ward.not_this_run] == ["failed"]
    assert [line.split(":")[0] for line in ward.larger_areas] == ["county only", "district only unloaded"]
    markdown = render_markdown(ward)
    assert markdown.startswith("# Research focus: Gensing (Hastings, E05000001, 2024 ward boundaries)")
    assert "SYNTHETIC DEMO DATA" in markdown and "nobody publishes it below England" in markdown
    assert "nearest proxy: ind proxy for the ward" in markdown
