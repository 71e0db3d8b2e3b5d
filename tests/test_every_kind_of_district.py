"""Every kind of authority, end to end: real Dagster runs over the synthetic upstream built from the real
ONS geography, each publishing with exactly the benchmarks that exist for it; a whole county; live and
demo never mixing; and an area change that is not a revision."""

from __future__ import annotations

import duckdb
import pytest

from lmi_demo.server import UpstreamSim, serve
from lmi_demo.snapshot import build_demo_snapshot
from lmi_demo.world import World
from lmi_pipeline.geography.reference import reference
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.settings import load_settings
from tests.conftest import live_settings, make_project, run_pipeline

START = '[claimant_count]\nstart_month = "2025-06"\n[analysis]\nbaseline_month = "2025-06"\n'  # a short history: the structure is what is tested
KINDS = {  # kind: (district, {benchmark level: code}) as they really are
    "shire district": ("E07000063", {"county": "E10000011", "region": "E12000008", "country": "E92000001"}),
    "unitary": ("E06000043", {"region": "E12000008", "country": "E92000001"}),
    "metropolitan district": ("E08000034", {"combined_authority": "E47000003", "region": "E12000003",
                                            "country": "E92000001"}),
    "London borough": ("E09000012", {"region": "E12000007", "country": "E92000001"}),
    "Welsh principal area": ("W06000015", {"country": "W92000004"}),
}
VALUE_COLUMN = {"county": "county_value", "combined_authority": "combined_authority_value", "region": "region_value",
                "country": "country_value"}


def _district_toml(code: str) -> str:
    ward = next(w for w in reference().wards_of(code) if w.vintage == 2024)
    return f'[[local_authority]]\ncode = "{code}"\nfocus_wards = ["{ward.name}"]\n' + START


def _live_run(tmp_path, text: str, world: World):
    sim = UpstreamSim(world)
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path, text), sim, root)
        result = run_pipeline(settings, raise_on_error=False)
    assert result.success, failure_messages(result)
    return settings


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_of_district_publishes_with_the_benchmarks_it_really_has(kind, tmp_path):
    code, expected = KINDS[kind]
    settings = _live_run(tmp_path, _district_toml(code), World.for_districts([code]))
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        got_kind, benchmarks = conn.execute("SELECT kind, benchmarks FROM districts WHERE lad_code = ?",
                                            [code]).fetchone()
        values = conn.execute(f"""
            SELECT {', '.join(f'count({c})' for c in VALUE_COLUMN.values())}, count(*), count(DISTINCT ward_code)
            FROM ward_indicators WHERE indicator = 'claimant_rate'""").fetchone()
        country = conn.execute("SELECT DISTINCT country_name FROM ward_lookup").fetchall()
        page = (settings.assets_dir / "report" / "districts.html").read_text(encoding="utf-8")
    assert got_kind == kind
    assert {b["level"]: b["code"] for b in benchmarks} == expected
    *per_level, rows, wards = values
    # the claimant count is published on 2022 and 2024 wards: a district whose wards changed has both sets
    assert rows > 0 and wards == len({w.code for w in reference().wards_of(code)})
    for level, n in zip(VALUE_COLUMN, per_level):
        assert n == (rows if level in expected else 0), level  # every row has it, or none does
    country_name = "Wales" if code.startswith("W") else "England"
    assert country == [(country_name,)]
    assert f"compared with {', '.join(b['name'] for b in benchmarks)}" in page
    if country_name == "Wales":
        assert "England" not in page.split('id="districts-side-by-side"')[1].split("</section>")[0]


def test_a_whole_county_covers_every_district_with_a_priority_ward_each(tmp_path):
    text = 'counties = ["E10000011"]\n' + _district_toml("E07000062").replace('focus_wards = ["Ashdown"]',
                                                                             'focus_wards = ["Gensing"]')
    settings = _live_run(tmp_path, text, World.for_districts(reference().districts_in("E10000011")))
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        covered = conn.execute("SELECT lad_code, covered_because FROM districts ORDER BY 1").fetchall()
        tops = conn.execute("SELECT lad_code, count(*) FROM priority_wards WHERE is_top_priority "
                            "GROUP BY 1 ORDER BY 1").fetchall()
    assert covered == [("E07000061", "in county E10000011"), ("E07000062", "listed"),
                       ("E07000063", "in county E10000011"), ("E07000064", "in county E10000011"),
                       ("E07000065", "in county E10000011")]
    assert [t[0] for t in tops] == [c[0] for c in covered]
    page = (settings.assets_dir / "report" / "index.html").read_text(encoding="utf-8")
    compare = page.split('id="compare"')[1].split("</section>")[0]
    assert all(name in compare for name in ("Eastbourne", "Hastings", "Lewes", "Rother", "Wealden"))


def test_live_then_demo_then_live_never_mixes(tmp_path, monkeypatch):
    """Each source mode keeps its own working database; the live publication holds no synthetic row."""
    text = _district_toml("E07000062")
    world = World.for_districts(["E07000062"])
    sim = UpstreamSim(world)
    project = make_project(tmp_path, text)
    with serve(sim) as root:
        live = live_settings(project, sim, root)
        assert run_pipeline(live).success
        demo = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
        build_demo_snapshot(demo, world)
        assert run_pipeline(demo).success
        with duckdb.connect(str(demo.published_db), read_only=True) as conn:
            # The real file shipped with the code keeps its own label: the May 2024 ward boundaries. The IoD 2025
            # File 7 is synthetic in the demo, like every other upstream.
            assert conn.execute("SELECT DISTINCT data_label FROM provenance WHERE source_asset <> 'ward_boundaries'"
                                ).fetchall() == [("synthetic demo data",)]
            assert conn.execute("SELECT DISTINCT data_label FROM ward_boundaries").fetchall() == [
                ("bundled copy of published statistics",)]
        assert run_pipeline(live).success
    assert live.work_db != demo.work_db and live.work_db.exists() and demo.work_db.exists()
    with duckdb.connect(str(live.published_db), read_only=True) as conn:
        labels = conn.execute("SELECT DISTINCT data_label FROM provenance").fetchall()
        figures = conn.execute("SELECT DISTINCT data_label FROM ward_indicators").fetchall()
        iod = conn.execute("SELECT DISTINCT data_label FROM provenance WHERE source_asset = 'raw_iod'").fetchall()
    # The File 7 the stand-in server serves was downloaded like a live one, so it is labelled as one.
    assert labels == figures == iod == [("live official statistics",)]
    report = (live.assets_dir / "report" / "index.html").read_text(encoding="utf-8")
    assert "SYNTHETIC DEMO DATA" not in report and "synthetic demo data" not in report


def test_an_area_change_is_not_a_revision_but_a_changed_figure_is(tmp_path):
    world = World.for_districts(["E07000062", "E07000063"])
    sim = UpstreamSim(world)
    project = make_project(tmp_path, _district_toml("E07000062"))
    with serve(sim) as root:
        settings = live_settings(project, sim, root)
        assert run_pipeline(settings).success
        (project / "lmi.toml").write_text(_district_toml("E07000062") .replace(START, "") +
                                          _district_toml("E07000063"))
        assert run_pipeline(settings).success  # Lewes added: new areas, nothing revised
        with duckdb.connect(str(settings.work_db), read_only=True) as conn:
            assert conn.execute("SELECT count(*) FROM source_revisions").fetchone()[0] == 0
        gensing = world.index["E05011207"]
        world.claimants["total"][gensing, world.months.index("2026-03")] += 40  # upstream revises one month
        assert run_pipeline(settings).success
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        revisions = conn.execute("SELECT period, areas_revised FROM source_revisions").fetchall()
    assert revisions == [("2026-03", 1)]
