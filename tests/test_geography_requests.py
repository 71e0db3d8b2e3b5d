"""Geography resolution costs requests in proportion to the ward types, not the districts: from
NATIONAL_WARD_LISTS_FROM districts on, a ward type is listed once for the country and its wards are given to
districts by the ONS lookup. The ids resolved must be exactly those asked district by district."""

import dagster as dg
import duckdb

from lmi_demo.server import UpstreamSim, serve
from lmi_demo.world import World
from lmi_pipeline.defs.geography import nomis_geographies as ng
from lmi_pipeline.defs.resources import build_resources
from lmi_pipeline.geography.reference import reference
from tests.conftest import live_settings, make_project

# A whole county (Kent: 12 districts; Maidstone's wards changed in 2024, so both vintages are kept there) and
# North Yorkshire, a unitary created in 2023: the 2022 ONS lookup gives it no ward, so it is asked for itself.
DISTRICTS = reference().districts_in("E10000016") + ["E06000065"]


def _resolve(tmp_path, monkeypatch, national_from: int):
    monkeypatch.setattr(ng, "NATIONAL_WARD_LISTS_FROM", national_from)
    text = "".join(f'[[local_authority]]\ncode = "{c}"\n' for c in DISTRICTS)
    sim = UpstreamSim(World.for_districts(DISTRICTS))
    with serve(sim) as root:
        settings = live_settings(make_project(tmp_path, text), sim, root)
        resources = build_resources(settings)
        result = dg.materialize([ng.nomis_geographies], resources=resources)
    assert result.success
    with duckdb.connect(str(settings.work_db), read_only=True) as conn:
        rows = conn.execute("SELECT * FROM nomis_geographies ORDER BY ALL").fetchall()
    return rows, [p for p in sim.log if "/geography/" in p]


def test_country_wide_ward_lists_resolve_the_same_ids_with_far_fewer_requests(tmp_path, monkeypatch):
    per_district, asked_each = _resolve(tmp_path / "each", monkeypatch, 10**6)
    national, asked_once = _resolve(tmp_path / "once", monkeypatch, 1)
    assert national == per_district and len(national) > 1000
    ward_datasets = {r[1] for r in national if r[2] == "ward"}

    def district_ward_asks(asked):  # "{district id}TYPEn" for a ward type (RM024 asks for LSOAs: left out)
        return [p for p in asked if any(f"/{d}/" in p for d in ward_datasets)
                and p.split("/geography/")[1][:1].isdigit()]
    # District by district: each of the 13 districts, once per ward type its dataset offers (the sim, as Nomis:
    # the claimant count, population, BRES and business counts on 2022 and 2024 wards, the Census on 2022 wards;
    # Maidstone's wards differ between the two, so each type a dataset offers holds rows).
    offered = {d: len({r[6] for r in national if r[1] == d and r[2] == "ward"}) for d in ward_datasets}
    assert set(offered.values()) == {1, 2}
    assert len(district_ward_asks(asked_each)) == sum(n * len(DISTRICTS) for n in offered.values())
    # Country-wide: only North Yorkshire's own 2022-ward request per dataset (the lookup gives it no 2022 ward).
    assert sorted(p.split("/dataset/")[1].split("/")[0] for p in district_ward_asks(asked_once)) == sorted(ward_datasets)
    assert all(p.endswith("TYPE153.def.sdmx.json") for p in district_ward_asks(asked_once))
    assert len(asked_once) < len(asked_each) / 2
