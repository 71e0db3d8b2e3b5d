"""The LMI needs catalogue (lmi_pipeline/indicators/needs.toml): read and checked as data, against catalogue.toml."""

import re

import duckdb
import pytest

from lmi_pipeline.indicators.catalogue import INDICATORS
from lmi_pipeline.indicators.needs import (
    ACCESS, DOC, NEEDS, NEEDS_COLUMNS, Need, NeedsError, NeedSource, load_needs, needs_rows, render_markdown)

REQUIRED_NEEDS = {"unemployment", "youth_unemployment", "neet_16_17", "neet_16_24", "economic_inactivity",
                  "out_of_work_benefits", "universal_credit_conditionality", "qualifications", "jobs_and_sectors",
                  "vacancies", "earnings", "apprenticeships_and_fe", "school_leaver_destinations", "deprivation",
                  "young_population"}

# A small catalogue of its own, so each rule is tried on a hand-made file.
SOURCE = '''
[[need.source]]
publisher = "DWP, via ONS Nomis"
dataset = "Claimant count by sex and age"
dataset_id = "NM_162_1"
lowest_geography = "lsoa"
cadence = "monthly"
latest_period = "unverified"
checked_on = "2026-12-04"
access = "open"
loaded = true
loaded_as = ["claimant_count"]
url = "https://example.org/claimant"
note = "rounded to 5"
'''
GOOD = '''
[[need]]
id = "unemployment"
label = "Unemployment"
question = "How many claim?"
indicators = ["claimant_count"]
''' + SOURCE
CATALOGUE = '''
[licences]
ogl = "OGL"
[caveats]
[[indicator]]
indicator = "claimant_count"
label = "Claimant count"
definition = "Claimants"
unit = "claimants"
status = "official"
source_dataset = "NM_162_1"
frequency = "monthly"
published_levels = "ward"
lowest_level = "ward"
release_lag_days = 16
'''


@pytest.fixture
def files(tmp_path):
    catalogue = tmp_path / "catalogue.toml"
    catalogue.write_text(CATALOGUE, encoding="utf-8")

    def load(text, catalogue_text=CATALOGUE):
        needs = tmp_path / "needs.toml"
        needs.write_text(text, encoding="utf-8")
        catalogue.write_text(catalogue_text, encoding="utf-8")
        return load_needs(needs, catalogue)
    return load


def test_the_shipped_needs_catalogue_validates_and_covers_every_required_need():
    needs = load_needs()
    assert all(isinstance(n, Need) and all(isinstance(s, NeedSource) for s in n.sources) for n in needs)
    assert REQUIRED_NEEDS <= {n.id for n in needs}
    by_id = {n.id: n for n in needs}
    assert by_id["neet_16_24"].not_published_for_small_areas and by_id["neet_16_24"].why
    assert by_id["vacancies"].not_published_for_small_areas and by_id["vacancies"].why
    assert by_id["neet_16_17"].sources[0].lowest_geography == "county"


def test_at_least_one_source_of_each_access_kind():
    kinds = {s.access for n in load_needs() for s in n.sources}
    assert kinds == set(ACCESS)


def test_every_catalogue_indicator_is_claimed_and_every_loaded_source_matches_its_catalogue_row():
    needs = load_needs()
    claimed = {i for n in needs for i in n.indicators}
    assert {i.indicator for i in INDICATORS} <= claimed
    by_name = {i.indicator: i for i in INDICATORS}
    for need in needs:
        for source in need.sources:
            for name in source.loaded_as:
                assert source.catalogue_source in by_name[name].source_dataset.split(" / "), (need.id, name)


def test_a_small_good_file_loads(files):
    [need] = files(GOOD)
    assert need.sources[0].loaded_as == ("claimant_count",) and need.indicators == ("claimant_count",)


@pytest.mark.parametrize("edit, message", [
    (('cadence = "monthly"', 'cadense = "monthly"'),
     "needs.toml, need 'unemployment', source 'NM_162_1': unknown field(s) ['cadense']"),
    (('note = "rounded to 5"\n', ''),
     "needs.toml, need 'unemployment', source 'NM_162_1': missing field(s) ['note']"),
    (('question = "How many claim?"\n', ''),
     "needs.toml, need 'unemployment': missing field(s) ['question']"),
    (('label = "Unemployment"', 'label = "Unemployment"\nlable = "x"'),
     "needs.toml, need 'unemployment': unknown field(s) ['lable']"),
    (('lowest_geography = "lsoa"', 'lowest_geography = "oa"'),
     "needs.toml, need 'unemployment', source 'NM_162_1': lowest_geography 'oa' is not one of"),
    (('cadence = "monthly"', 'cadence = "weekly"'),
     "needs.toml, need 'unemployment', source 'NM_162_1': cadence 'weekly' is not one of"),
    (('access = "open"', 'access = "free"'),
     "needs.toml, need 'unemployment', source 'NM_162_1': access 'free' is not one of"),
    (('loaded_as = ["claimant_count"]\n', ''),
     "needs.toml, need 'unemployment', source 'NM_162_1': loaded = true but loaded_as is empty"),
    (('loaded = true', 'loaded = false'),
     "needs.toml, need 'unemployment', source 'NM_162_1': loaded = false but loaded_as lists ['claimant_count']"),
    (('latest_period = "unverified"', 'latest_period = ""'),
     "needs.toml, need 'unemployment', source 'NM_162_1': empty field(s) ['latest_period']"),
    (('indicators = ["claimant_count"]', 'indicators = ["claimant_count", "claimant_cuont"]'),
     "needs.toml, need 'unemployment': indicator(s) ['claimant_cuont'] are not in catalogue.toml"),
    (('loaded_as = ["claimant_count"]', 'loaded_as = ["claimant_count", "claimant_cuont"]'),
     "needs.toml, need 'unemployment', source 'NM_162_1': loaded_as ['claimant_cuont'] are not in catalogue.toml"),
    (('dataset_id = "NM_162_1"', 'dataset_id = "NM_2014_1"'),
     "needs.toml, need 'unemployment', source 'NM_2014_1': loaded_as 'claimant_count', but catalogue.toml gives "
     "its source_dataset as 'NM_162_1', not 'NM_2014_1'"),
])
def test_a_mistake_names_the_need_source_and_what_to_fix(files, edit, message):
    assert edit[0] in GOOD
    with pytest.raises(NeedsError, match="^" + re.escape(message)):
        files(GOOD.replace(edit[0], edit[1], 1))


def test_a_need_without_sources_must_say_why(files):
    bare = GOOD.replace(SOURCE, "")
    with pytest.raises(NeedsError, match=re.escape("need 'unemployment': no [[need.source]]; add one, or set "
                                                   "not_published_for_small_areas = true with a why")):
        files(bare)
    with pytest.raises(NeedsError, match=re.escape("need 'unemployment': not_published_for_small_areas = true "
                                                   "needs a why")):
        files(bare + "not_published_for_small_areas = true\n")
    with pytest.raises(NeedsError, match=re.escape("a why is given but not_published_for_small_areas is not true")):
        files(GOOD.replace('indicators = ["claimant_count"]', 'indicators = ["claimant_count"]\nwhy = "x"'))


def test_a_need_or_source_defined_twice_is_refused(files):
    with pytest.raises(NeedsError, match=re.escape("needs.toml: a need is defined twice: ['unemployment']")):
        files(GOOD + GOOD)
    with pytest.raises(NeedsError, match=re.escape("need 'unemployment': a source is listed twice: ['NM_162_1']")):
        files(GOOD + SOURCE)


def test_a_catalogue_indicator_no_need_claims_or_no_loaded_source_lists_is_refused(files):
    extra = CATALOGUE + CATALOGUE.split("[caveats]")[1].replace('"claimant_count"', '"claimant_rate"')
    with pytest.raises(NeedsError, match=re.escape("needs.toml: catalogue indicator 'claimant_rate' is claimed by "
                                                   "no need")):
        files(GOOD, extra)
    derived = CATALOGUE.replace('source_dataset = "NM_162_1"', 'source_dataset = "NM_162_1 / NM_2014_1"')
    with pytest.raises(NeedsError, match=re.escape("catalogue indicator 'claimant_count' comes from 'NM_2014_1', "
                                                   "but no loaded source lists it in loaded_as")):
        files(GOOD, derived)


def test_catalogue_name_matches_a_source_the_catalogue_names_in_words(files):
    words = CATALOGUE.replace('source_dataset = "NM_162_1"', 'source_dataset = "DfE EES: NEET 16 to 17"')
    with pytest.raises(NeedsError, match="not 'NM_162_1'; fix loaded_as, the dataset_id or catalogue_name"):
        files(GOOD, words)
    files(GOOD.replace('dataset_id = "NM_162_1"', 'dataset_id = "NM_162_1"\ncatalogue_name = "DfE EES: NEET 16 to 17"'),
          words)


def test_rows_are_one_per_need_and_source_and_load_into_duckdb():
    rows = needs_rows()
    assert len(rows) == sum(len(n.sources) or 1 for n in load_needs())
    assert all(list(row) == [name for name, _, _ in NEEDS_COLUMNS] for row in rows)
    with duckdb.connect() as conn:
        conn.execute("CREATE TABLE lmi_needs (" + ", ".join(f"{n} {t}" for n, t, _ in NEEDS_COLUMNS) + ")")
        conn.executemany(f"INSERT INTO lmi_needs VALUES ({', '.join('?' * len(NEEDS_COLUMNS))})",
                         [list(row.values()) for row in rows])
        loaded = conn.execute("SELECT count(*) FROM lmi_needs WHERE loaded AND len(loaded_as) > 0").fetchone()[0]
        assert loaded == sum(1 for row in rows if row["loaded"])
        assert conn.execute("SELECT count(DISTINCT need_id) FROM lmi_needs").fetchone()[0] == len(load_needs())


def test_docs_lmi_needs_is_current():
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/lmi-needs.md is out of date: run `.venv/bin/python -m lmi_pipeline.indicators.needs`")
    assert NEEDS.exists()
