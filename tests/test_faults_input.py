"""Bad configuration and input: `lmi run` refuses each before any network call, naming the entry and what
to do, with the nearest valid names where that helps; names that look like SQL or HTML are only ever data.

Offline, lmi.toml is checked for shape (areas.py) and, against the bundled ONS reference, for existence
and spelling (area_reference.py). With that check switched off, a ward is checked as soon as the ONS lookup
arrives, and nothing is published: `test_with_the_offline_check_off_a_ward_is_checked_after_the_lookup`.
"""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from lmi_demo.server import UpstreamSim
from lmi_demo.world import World
from lmi_pipeline.cli import main
from lmi_pipeline.geography.area_reference import check_areas_offline, load_reference, offline_check_enabled
from lmi_pipeline.geography.areas import load_areas
from lmi_pipeline.operations.runs import failure_messages
from tests.conftest import make_project
from tests.faults_support import SECRET, FaultServer, copy_project, digest, leftovers, published_baseline, run_through

HASTINGS = '[[local_authority]]\ncode = "E07000062"\nfocus_wards = {wards}\n'
MAIDSTONE = '[[local_authority]]\ncode = "E07000110"\nfocus_wards = {wards}\n'
NEXT_YEAR = f"{date.today().year + 1}-01"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


def lmi_run(monkeypatch, capsys, project, server: FaultServer) -> tuple[int, str]:
    """`lmi run` in live mode against the fault server; (exit code, stderr + stdout)."""
    monkeypatch.chdir(project)
    for key, value in {"LMI_SOURCE": "live", "LMI_PROJECT_DIR": str(project), "NOMIS_UID": SECRET,
                       "NOMIS_MAX_REQUESTS_PER_SECOND": "0",
                       "DAGSTER_HOME": str(project / ".dagster-home"), **server.sim.base_urls(server.root)}.items():
        monkeypatch.setenv(key, value)
    (project / ".dagster-home").mkdir(exist_ok=True)
    (project / ".dagster-home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    code = main(["run"])
    out = capsys.readouterr()
    return code, out.err + out.out


# (lmi.toml text, what the message must say)
WITHOUT_REFERENCE = {
    "malformed-toml": ('[[local_authority]\ncode = "E07000062"\n', r"lmi\.toml: not valid TOML .*line 1"),
    "no-areas": ('[benchmarks]\nareas = ["E92000001"]\n', r"no areas: no \[\[local_authority\]\] entries"),
    "empty-areas-list": ("local_authority = []\n", r"no areas: no \[\[local_authority\]\] entries"),
    "unknown-county": ('counties = ["E10000010"]\n', r"E10000010 is not a county in the bundled ONS reference .* "
                                                     r"Did you mean E10000011 East Sussex"),
    "misspelt-section": ('[[local_authority]]\ncode = "E07000062"\nfocus_wards = ["Gensing"]\n[analyses]\n',
                         r"unknown key or section 'analyses'\. Did you mean 'analysis'\?"),
    "la-code-malformed": (HASTINGS.replace("E07000062", "E0700062").format(wards='["Gensing"]'),
                          r"local_authority #1 code 'E0700062' is not a local authority district GSS code"),
    "ward-code-malformed": (HASTINGS.format(wards='["E0501120X"]'),
                            r"focus ward 'E0501120X' in E07000062 looks like a GSS code but is not a ward code"),
    "sql-injection-name": (HASTINGS.format(wards='["Gensing\'); DROP TABLE ward_lookup;--"]'),
                           r"focus ward \"Gensing'\); DROP TABLE ward_lookup;--\" in E07000062 has characters"),
    "html-injection-name": (HASTINGS.format(wards='["<img src=x onerror=alert(1)>"]'),
                            r"focus ward '<img src=x onerror=alert\(1\)>' in E07000062 has characters"),
    "quote-injection-name": (HASTINGS.format(wards='["Gensing\\" OR \\"1\\"=\\"1"]'), r"has characters a ward name"),
    "baseline-month-13": (HASTINGS.format(wards='["Gensing"]') + '[analysis]\nbaseline_month = "2015-13"\n',
                          r"analysis\.baseline_month = '2015-13' is not a month; write it as YYYY-MM"),
    "baseline-month-words": (HASTINGS.format(wards='["Gensing"]') + '[analysis]\nbaseline_month = "April 2015"\n',
                             r"analysis\.baseline_month = 'April 2015' is not a month"),
    "baseline-month-a-date": (HASTINGS.format(wards='["Gensing"]') + "[analysis]\nbaseline_month = 2015-04-01\n",
                              r"analysis\.baseline_month = datetime\.date\(2015, 4, 1\) is not a month"),
    "baseline-before-start": (HASTINGS.format(wards='["Gensing"]') + '[claimant_count]\nstart_month = "2016-01"\n'
                              '[analysis]\nbaseline_month = "2015-04"\n',
                              r"baseline_month 2015-04 is before claimant_count\.start_month 2016-01"),
    "baseline-in-future": (HASTINGS.format(wards='["Gensing"]') + f'[analysis]\nbaseline_month = "{NEXT_YEAR}"\n',
                           rf"analysis\.baseline_month = {NEXT_YEAR} is in the future"),
    "section-wrong-type": ('benchmarks = "E10000011"\n' + HASTINGS.format(wards='["Gensing"]'),
                           r"`benchmarks` must be a table"),
    "value-wrong-type": (HASTINGS.format(wards='["Gensing"]') + '[analysis]\nsmall_number_threshold = "twenty"\n',
                         r"analysis\.small_number_threshold = 'twenty' must be a whole number"),
    "misspelt-key": ('[[local_authority]]\ncode = "E07000062"\nfocus_ward = ["Gensing"]\n',
                     r"unknown key 'focus_ward'\. Did you mean 'focus_wards'\?"),
    "no-focus-wards": (HASTINGS.format(wards="[]"), r"no focus_wards in any \[\[local_authority\]\]"),
}

WITH_REFERENCE = {
    "unknown-la-code": (HASTINGS.replace("E07000062", "E07000999").format(wards='["Gensing"]'),
                        r"local authority E07000999 is not a district of England or Wales in the reference\. "
                        r"Did you mean E07000\d{3} "),
    "abolished-la": (HASTINGS.replace("E07000062", "E07000163").format(wards='["Bentham"]'),
                     r"local authority E07000163 \(Craven\) was abolished .* use E06000065"),
    "unknown-ward-code": (HASTINGS.format(wards='["E05099999"]'),
                          r"no ward 'E05099999' in Hastings \(E07000062\)\. Its wards are: Ashdown, Baird"),
    "misspelt-ward-name": (HASTINGS.format(wards='["Gensign", "Castle"]'),
                           r"no ward 'Gensign' in Hastings \(E07000062\)\. Did you mean 'Gensing'\?"),
    "ward-in-another-la": (HASTINGS.format(wards='["Park Wood"]') + MAIDSTONE.format(wards='["Shepway North"]'),
                           r"focus ward 'Park Wood' is in Maidstone \(E07000110\), not in Hastings \(E07000062\)\. "
                           r"Move it under the right local_authority"),
}


@pytest.mark.parametrize("case", sorted(WITHOUT_REFERENCE))
def test_bad_config_is_refused_before_any_request(case, tmp_path, monkeypatch, capsys):
    text, pattern = WITHOUT_REFERENCE[case]
    project = make_project(tmp_path, text)
    with FaultServer() as server:
        code, output = lmi_run(monkeypatch, capsys, project, server)
        assert server.requests() == []  # not one request
    assert code == 2 and re.search(pattern, output, re.S), output
    assert output.startswith(f"lmi: {project / 'lmi.toml'}: ")  # names the file, then the entry
    assert not (project / "data").exists()  # nothing written either


@pytest.mark.parametrize("case", sorted(WITH_REFERENCE))
def test_unknown_areas_are_refused_offline_against_the_last_publication(case, baseline, tmp_path, monkeypatch,
                                                                       capsys):
    text, pattern = WITH_REFERENCE[case]
    project = copy_project(tmp_path, baseline)
    (project / "lmi.toml").write_text(text)
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        code, output = lmi_run(monkeypatch, capsys, project, server)
        assert server.requests() == []
    assert code == 2 and re.search(pattern, output, re.S), output
    assert "checked offline against the bundled ONS reference" in output
    assert "LMI_OFFLINE_AREA_CHECK=0" in output  # how to go on if upstream changed since
    assert digest(settings) == before


def test_with_the_offline_check_off_a_ward_is_checked_after_the_lookup(baseline, tmp_path, monkeypatch, capsys):
    """LMI_OFFLINE_AREA_CHECK=0 (ONS has changed wards since the bundled reference): the misspelling is caught,
    with a suggestion, as soon as the ONS lookup arrives. Nothing is published."""
    project = copy_project(tmp_path, baseline)
    (project / "lmi.toml").write_text(HASTINGS.format(wards='["Gensing"]') +
                                      '[[local_authority]]\ncode = "E07000061"\nfocus_wards = ["Hampden Prak"]\n')
    monkeypatch.setenv("LMI_OFFLINE_AREA_CHECK", "0")
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        code, output = lmi_run(monkeypatch, capsys, project, server)
        first_lookup = next(i for i, p in enumerate(server.requests()) if "FeatureServer" in p)
    assert code == 1 and first_lookup > 0
    assert re.search(r"ward_lookup: AreasError: .*no ward 'Hampden Prak' in Eastbourne \(E07000061\)\. "
                     r"Did you mean 'Hampden Park'\?", output), output
    assert digest(settings) == before and leftovers(settings) == []


def test_offline_check_can_be_skipped_when_upstream_has_changed(baseline, tmp_path):
    project = copy_project(tmp_path, baseline)
    (project / "lmi.toml").write_text(HASTINGS.format(wards='["Gensign"]'))
    reference = load_reference(project / "data" / "lmi.duckdb")
    assert reference is not None and {"E07000061", "E07000062", "E07000110"} <= set(reference.districts)
    assert offline_check_enabled({}) and not offline_check_enabled({"LMI_OFFLINE_AREA_CHECK": "0"})
    assert check_areas_offline(load_areas(project / "lmi.toml"), None)  # no reference: a note, no error


def test_names_that_look_like_sql_or_html_stay_data(baseline, tmp_path):
    """Upstream ward names with quotes, SQL and markup: stored verbatim (parameters and quoted identifiers
    only, so nothing runs), and escaped in every published HTML file."""
    world = World.default()
    nasty = {"E05011207": "Gensing'); DROP TABLE ward_lookup;--",
             "E05011204": '</script><img src=x onerror=alert("castle")>'}
    for area in world.areas:
        area.name = nasty.get(area.code, area.name)
    with FaultServer(sim=UpstreamSim(world)) as server:
        project = copy_project(tmp_path, baseline)
        (project / "lmi.toml").write_text(HASTINGS.format(wards='["E05011207", "E05011204"]') +
                                          MAIDSTONE.format(wards='["Park Wood"]'))
        settings = server.settings(project)
        result = run_through(settings, "ons_ward_lookup", upstream=True)
    assert result.success, failure_messages(result)
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        names = dict(conn.execute("SELECT DISTINCT ward_code, ward_name FROM ward_lookup WHERE is_focus").fetchall())
        tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert names == {**nasty, "E05005002": "Park Wood", "E05015608": "Park Wood & Mangravet"} and "ward_lookup" in tables
    pages = {p: p.read_text(encoding="utf-8") for p in settings.assets_dir.rglob("*.htm*")}
    for page, text in pages.items():
        assert "<img src=x" not in text and "</script><img" not in text, page  # escaped, never markup
    escaped = ("\\u003c\\u002fscript\\u003e\\u003cimg src=x", "&lt;/script&gt;&lt;img src=x")  # JSON, HTML
    assert any(e in text for text in pages.values() for e in escaped)  # the name did reach a page
