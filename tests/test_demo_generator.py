"""The synthetic upstream writes responses in Nomis's exact CSV layout, with plausible rounded values."""

import csv
import io

import numpy as np
import pandas as pd

from lmi_demo.nomis_sim import NomisSim
from lmi_demo.world import World

SELECT = "DATE,DATE_NAME,GEOGRAPHY,GEOGRAPHY_NAME,GEOGRAPHY_CODE,AGE,AGE_NAME,MEASURE,MEASURE_NAME,OBS_VALUE,OBS_STATUS,RECORD_OFFSET,RECORD_COUNT"


def _page(sim, geography, offset=0, **args):
    status, ctype, body = sim.handle("dataset/NM_162_1.data.csv", {
        "geography": geography, "time": "2013-01,latest", "gender": "0", "age": "0,2,11", "measure": "1,2",
        "measures": "20100", "select": SELECT, "RecordOffset": str(offset), **args})
    assert status == 200 and ctype == "text/csv"
    return body.decode()


def _ids(sim, level_code):
    return ",".join(str(i) for i, (a, t, _) in sim.geo_index.items() if t == level_code)


def test_csv_layout_quoting_and_paging():
    sim = NomisSim(World.default(), page_size=500)
    text = _page(sim, _ids(sim, 187))
    header, first = text.splitlines()[:2]
    assert header == ",".join(f'"{c}"' for c in SELECT.split(","))  # Nomis quotes the header
    assert first.startswith('"2013-01","January 2013",')  # text quoted, numbers bare
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 500
    total = int(rows[0]["RECORD_COUNT"])
    assert total == sum(w.in_vintage(2024) for w in sim.world.wards) * len(sim.world.months) * 3 * 2
    assert [int(r["RECORD_OFFSET"]) for r in rows] == list(range(500))
    last = list(csv.DictReader(io.StringIO(_page(sim, _ids(sim, 187), offset=total - 3))))
    assert [int(r["RECORD_OFFSET"]) for r in last] == [total - 3, total - 2, total - 1]


def test_values_are_plausible_and_rounded():
    sim = NomisSim(World.default(), page_size=10**7)
    rows = list(csv.DictReader(io.StringIO(_page(sim, _ids(sim, 187) + "," + _ids(sim, 423)))))
    counts = np.array([float(r["OBS_VALUE"]) for r in rows if r["MEASURE"] == "1"])
    assert (counts % 5 == 0).all() and (counts >= 0).all()
    ward_rates = [r for r in rows if r["MEASURE"] == "2" and r["AGE"] != "0" and r["GEOGRAPHY_CODE"].startswith("E05")]
    assert ward_rates and all(r["OBS_VALUE"] == "" and r["OBS_STATUS"] == "Q" for r in ward_rates)  # as Nomis
    nov = {r["GEOGRAPHY_CODE"]: r for r in rows if r["DATE"] == "2025-11" and r["AGE"] == "0" and r["MEASURE"] == "1"}
    assert abs(float(nov["E10000011"]["OBS_VALUE"]) - 11_415) < 250  # near the published East Sussex figure
    rate = {r["GEOGRAPHY_CODE"]: float(r["OBS_VALUE"]) for r in rows
            if r["DATE"] == "2025-11" and r["AGE"] == "0" and r["MEASURE"] == "2"}
    assert rate["E10000011"] == 3.6
    hastings = {k: v for k, v in rate.items() if k.startswith("E050112")}
    focus = [hastings[c] for c in ("E05011204", "E05011205", "E05011207")]
    assert sum(focus) / 3 > sum(hastings.values()) / len(hastings)  # the partnership's wards are above the average


def test_deterministic():
    a = _page(NomisSim(World.default()), _ids(NomisSim(World.default()), 177))
    b = _page(NomisSim(World.default()), _ids(NomisSim(World.default()), 177))
    assert a == b


def test_made_up_geography_ids_never_collide(monkeypatch):
    """At national scale hashed ids collide; every area and TYPE must still get an id of its own."""
    import lmi_demo.nomis_sim as nomis_sim

    monkeypatch.setattr(nomis_sim, "synthetic_id", lambda kind, code: 1_100_000_000)  # every id collides
    world = World.default()
    sim = NomisSim(world)
    entries = [(a.code, t) for a, t, _ in sim.geo_index.values()]
    assert len(entries) == len(set(entries))
    assert {a.code for a, _, _ in sim.geo_index.values()} == {a.code for a in world.areas + world.lsoas}
    lsoas = [i for i, (a, t, _) in sim.geo_index.items() if a.level == "lsoa"]
    assert len(lsoas) >= len(world.lsoas)


def test_indicators_are_only_partly_correlated():
    """Wards rank differently on different measures, so the report can show trade-offs (synthetic, by design)."""
    def spearman(a, b) -> float:
        return float(np.corrcoef(pd.Series(a).rank(), pd.Series(b).rank())[0, 1])

    world = World.default()
    t = world.months.index("2026-10")
    pop = world.population_table("16-64", [2024])[:, 0]
    young = world.population_table("16-24", [2024])[:, 0]
    rows = [world.index[w.code] for w in world.wards if w.lad_code == "E07000065" and w.in_vintage(2024)]  # Wealden
    claimant = world.claimants["total"][rows, t] / pop[rows]
    youth = world.claimants["16-24"][rows, t] / young[rows]
    change = world.claimants["total"][rows, t] / world.claimants["total"][rows, t - 12]
    from lmi_demo.census_sim import CensusModel

    census = CensusModel(world).ts066[rows]
    unemployment = census[:, 6] / census[:, :7].sum(axis=1)
    retired = census[:, 14] / census.sum(axis=1)
    for other in (youth, change, unemployment):
        rho = spearman(claimant, other)
        assert rho < 0.95, rho  # related, never the same ranking
    assert abs(spearman(claimant, retired)) < 0.6
    assert len({int(np.argmax(x)) for x in (claimant, youth, change, unemployment)}) >= 2  # different wards top
