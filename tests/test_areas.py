"""lmi.toml: validation before any network call, and pointing the pipeline at another district."""

import duckdb
import pytest

from lmi_demo.server import UpstreamSim, serve
from lmi_pipeline.geography.areas import AreasError, Ward, load_areas, parse_areas, resolve_focus_wards
from tests.conftest import live_settings, make_project, run_pipeline

GOOD = """
[[local_authority]]
code = "E07000062"
focus_wards = ["Gensing"]
[benchmarks]
areas = ["E10000011"]
"""


def _parse(text, tmp_path):
    p = tmp_path / "lmi.toml"
    p.write_text(text)
    return load_areas(p)


def test_default_file_is_valid():
    """East Sussex's five districts (the county) and Maidstone, with the partnerships' focus wards."""
    cfg = load_areas(pytest.importorskip("pathlib").Path(__file__).parents[1] / "lmi.toml")
    assert sorted(cfg.lad_codes) == ["E07000061", "E07000062", "E07000063", "E07000064", "E07000065", "E07000110"]
    assert cfg.counties == ("E10000011",) and cfg.benchmarks == ()
    assert {la.code: la.focus_wards for la in cfg.local_authorities if la.focus_wards} == {
        "E07000062": ("Gensing", "Central St Leonards", "Castle"), "E07000110": ("Park Wood",)}


@pytest.mark.parametrize("text,message", [
    ("[[local_authority]\ncode=", "not valid TOML"),
    ("[benchmarks]\nareas = []\n", "no areas: no \\[\\[local_authority\\]\\] entries, districts, counties or regions"),
    ('counties = ["E07000062"]\n', "counties entry 'E07000062' is not a county GSS code"),
    ('[benchmark]\nareas = []\n', "unknown key or section 'benchmark'. Did you mean 'benchmarks'"),
    ('[[local_authority]]\ncode = "X07000062"\n', "not a local authority district GSS code"),
    ('[[local_authority]]\ncode = "E07000062"\nfocus_wards = ["Gensing\'; DROP TABLE ward_lookup;--"]\n',
     "characters a ward name never has"),
    ('[[local_authority]]\ncode = "E07000062"\nfocus_wards = ["<script>alert(1)</script>"]\n',
     "characters a ward name never has"),
    ('[[local_authority]]\ncode = "E07000062"\n[analysis]\nbaseline_month = "2015-13"\n', "is not a month"),
    # Each kind of key is checked in every table that has one, naming the table and key.
    ('[[local_authority]]\ncode = "E07000062"\n[claimant_count]\nstart_month = "2099-01"\n',
     "claimant_count.start_month = 2099-01 is in the future"),
    ('[[local_authority]]\ncode = "E07000062"\n[claimant_count]\nrevision_window_months = 0\n',
     "claimant_count.revision_window_months = 0 must be a whole number of at least 1"),
    ('[[local_authority]]\ncode = "E07000062"\n[analysis]\nsmall_number_threshold = true\n',
     "analysis.small_number_threshold = True must be a whole number of at least 1"),
    ('[[local_authority]]\ncode = "E07000062"\n[analysis]\nmax_monthly_jump_pct = -5\n',
     "analysis.max_monthly_jump_pct = -5 must be a positive number"),
    ('[[local_authority]]\ncode = "E07000062"\n[benchmarks]\nareas = ["Kent"]\n', "not a county, region or country"),
    # Every table refuses a key it does not know, with the nearest one it does.
    ('[[local_authority]]\ncode = "E07000062"\n[analysis]\nbaseline_mnth = "2019-11"\n',
     "\\[analysis\\] has an unknown key 'baseline_mnth'. Did you mean 'baseline_month'\\? Its keys are: baseline_month,"),
    ('[[local_authority]]\nfocus_wards = ["Gensing"]\n', "local_authority #1 code None is not a local authority district"),
    ('[[local_authority]]\ncode = "E07000062"\n[analysis]\nyouth_age_band = "{band}"\n',
     "analysis.youth_age_band = '{band}' must be one of '16-24', '18-24'"),
])
def test_bad_config_is_refused_clearly(tmp_path, text, message):
    with pytest.raises(AreasError, match=message):
        _parse(text, tmp_path)


def _wards():
    return [Ward("E05011207", "Gensing", "E07000062", "Hastings"), Ward("E05011204", "Castle", "E07000062", "Hastings"),
            Ward("E05005002", "Park Wood", "E07000110", "Maidstone")]


def test_misspelled_ward_suggests_nearest(tmp_path):
    cfg = parse_areas({"local_authority": [{"code": "E07000062", "focus_wards": ["Gensign"]}]})
    with pytest.raises(AreasError, match="Did you mean 'Gensing'"):
        resolve_focus_wards(cfg, _wards())


def test_ward_in_the_wrong_district(tmp_path):
    cfg = parse_areas({"local_authority": [{"code": "E07000062", "focus_wards": ["Park Wood"]},
                                           {"code": "E07000110", "focus_wards": []}]})
    with pytest.raises(AreasError, match="is in Maidstone \\(E07000110\\), not in Hastings"):
        resolve_focus_wards(cfg, _wards())


def test_names_and_codes_both_resolve():
    cfg = parse_areas({"local_authority": [{"code": "E07000062", "focus_wards": ["gensing", "E05011204"]}]})
    assert resolve_focus_wards(cfg, _wards()) == {"E07000062": ["E05011207", "E05011204"]}


def test_another_district_gets_its_own_wards(tmp_path):
    """Point lmi.toml at Eastbourne: the pipeline finds Eastbourne's wards from upstream metadata."""
    text = '[[local_authority]]\ncode = "E07000061"\nfocus_wards = ["Devonshire", "Hampden Park"]\n'
    sim = UpstreamSim()
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path, text), sim, root)
        assert run_pipeline(settings).success
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        wards = conn.execute("SELECT DISTINCT ward_code, ward_name, is_focus FROM ward_indicators ORDER BY 1").fetchall()
        benchmarks = conn.execute("SELECT DISTINCT county_value IS NOT NULL, country_value IS NOT NULL "
                                  "FROM ward_indicators").fetchall()
    assert len(wards) == 9 and all(code.startswith("E050115") for code, _, _ in wards)
    assert {name for _, name, focus in wards if focus} == {"Devonshire", "Hampden Park"}
    assert benchmarks == [(True, True)]  # East Sussex and England were added as benchmarks automatically
