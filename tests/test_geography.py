"""Real geography: the bundled ONS reference, county codes as ONS publishes them, and lmi.toml for any area."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from lmi_pipeline.geography.area_reference import check_areas_offline, load_reference
from lmi_pipeline.geography.areas import AreasError, parse_areas
from lmi_pipeline.geography.reference import GeographyReference, reference

FIXTURES = Path(__file__).parent / "fixtures" / "ons"
REAL_FILES = {2022: "ons_WD22_LAD22_CTY22_RGN22_CTRY22_UK_lookup_Dec2022.csv",
              2024: "ons_WD24_LAD24_CTYUA24_RGN24_CTRY24_UK_lookup_May2024.csv"}


@pytest.fixture(scope="module")
def real_slice(tmp_path_factory) -> GeographyReference:
    """The reference read from slices of the real ONS lookups, as ONS serves them (BOM, quoting, blanks)."""
    folder = tmp_path_factory.mktemp("ref")
    for vintage, name in REAL_FILES.items():
        (folder / f"wards_{vintage}.csv.gz").write_bytes(gzip.compress((FIXTURES / name).read_bytes()))
    shutil.copy(reference().data_dir / "combined_authorities_2024.csv", folder)
    return GeographyReference(folder)


def test_the_real_files_begin_with_a_byte_order_mark():
    for name in REAL_FILES.values():
        assert (FIXTURES / name).read_bytes().startswith(b"\xef\xbb\xbfWD2")


def test_county_codes_are_read_as_ons_publishes_them(real_slice):
    """WD22: blank county for a unitary, E11 for a metropolitan district, E13 for a London borough, blank in
    Wales; WD24: CTYUA holds the district's own code. Only a shire district has a county."""
    got = {c: (d.kind, d.county_code, d.combined_authority_code, d.region_code, d.country_code)
           for c, d in real_slice.districts.items()}
    assert got == {
        "E07000063": ("shire district", "E10000011", None, "E12000008", "E92000001"),  # Lewes, East Sussex
        "E06000043": ("unitary", None, None, "E12000008", "E92000001"),  # Brighton and Hove
        "E08000034": ("metropolitan district", None, "E47000003", "E12000003", "E92000001"),  # Kirklees
        "E09000012": ("London borough", None, None, "E12000007", "E92000001"),  # Hackney
        "W06000015": ("Welsh principal area", None, None, None, "W92000004"),  # Cardiff: no region
    }
    lines = (FIXTURES / REAL_FILES[2022]).read_text(encoding="utf-8-sig").splitlines()
    raw = {line.split(",")[2]: line.split(",")[4] for line in lines[1:]}
    assert raw["E06000043"] == "" and raw["E08000034"].startswith("E11") and raw["E09000012"].startswith("E13")
    assert raw["W06000015"] == "" and raw["E07000063"] == "E10000011"
    lines = (FIXTURES / REAL_FILES[2024]).read_text(encoding="utf-8-sig").splitlines()
    ctyua = {line.split(",")[3]: line.split(",")[6] for line in lines[1:]}
    assert all(ctyua[c] == c for c in ("E06000043", "E08000034", "E09000012", "W06000015"))


def test_a_ward_set_that_changed_in_2023_is_kept_per_vintage(real_slice):
    brighton = {v: {w.code for w in real_slice.wards_of("E06000043") if w.vintage == v} for v in (2022, 2024)}
    assert len(brighton[2022]) == 21 and len(brighton[2024]) == 23 and not brighton[2022] & brighton[2024]


def test_counties_and_regions_expand_to_their_districts():
    cfg = parse_areas({"counties": ["E10000011"], "regions": ["W92000004"],
                       "local_authority": [{"code": "E07000110", "focus_wards": ["Park Wood"]}]})
    assert cfg.lad_codes[0] == "E07000110" and cfg.covered_because["E07000110"] == "listed"
    east_sussex = {"E07000061", "E07000062", "E07000063", "E07000064", "E07000065"}
    assert east_sussex <= set(cfg.lad_codes)
    assert {c for c, why in cfg.covered_because.items() if why == "in county E10000011"} == east_sussex
    assert sum(c.startswith("W06") for c in cfg.lad_codes) == 22  # every Welsh principal area


def test_an_unknown_county_is_refused_with_the_nearest():
    with pytest.raises(AreasError, match=r"E10000010 is not a county in the bundled ONS reference.*Did you mean "
                                         r"E10000011 East Sussex"):
        parse_areas({"counties": ["E10000010"]})


@pytest.fixture(scope="module")
def offline():
    return load_reference()


@pytest.mark.parametrize("code", sorted(reference().districts))
def test_every_district_in_the_reference_passes_offline_validation(code, offline):
    """Every district of England and Wales, with one of its wards as a focus ward, by name and by code."""
    wards = reference().wards_of(code)
    cfg = parse_areas({"local_authority": [{"code": code, "focus_wards": [wards[0].name, wards[-1].code]}]})
    assert check_areas_offline(cfg, offline) == []


def test_an_abolished_district_names_its_successor(offline):
    cfg = parse_areas({"local_authority": [{"code": "E07000026", "focus_wards": ["Moss Bay"]}]})
    with pytest.raises(AreasError, match=r"E07000026 \(Allerdale\) was abolished .* use E06000063"):
        check_areas_offline(cfg, offline)


def test_a_code_no_reference_knows_says_so_without_blaming_the_user(offline):
    cfg = parse_areas({"local_authority": [{"code": "E07000999", "focus_wards": ["Anywhere"]}]})
    with pytest.raises(AreasError, match=r"not a district of England or Wales in the reference.*"
                                         r"If ONS has changed the areas since, set LMI_OFFLINE_AREA_CHECK=0"):
        check_areas_offline(cfg, offline)
