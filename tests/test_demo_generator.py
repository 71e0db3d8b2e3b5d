"""The synthetic upstream writes responses in Nomis's exact CSV layout, with plausible rounded values."""

import csv
import io

import numpy as np

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
    text = _page(sim, _ids(sim, 177))
    header, first = text.splitlines()[:2]
    assert header == ",".join(f'"{c}"' for c in SELECT.split(","))  # Nomis quotes the header
    assert first.startswith('"2013-01","January 2013",')  # text quoted, numbers bare
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 500
    total = int(rows[0]["RECORD_COUNT"])
    assert total == len(sim.world.wards) * len(sim.world.months) * 3 * 2
    assert [int(r["RECORD_OFFSET"]) for r in rows] == list(range(500))
    last = list(csv.DictReader(io.StringIO(_page(sim, _ids(sim, 177), offset=total - 3))))
    assert [int(r["RECORD_OFFSET"]) for r in last] == [total - 3, total - 2, total - 1]


def test_values_are_plausible_and_rounded():
    sim = NomisSim(World.default(), page_size=10**7)
    rows = list(csv.DictReader(io.StringIO(_page(sim, _ids(sim, 177) + "," + _ids(sim, 423)))))
    counts = np.array([float(r["OBS_VALUE"]) for r in rows if r["MEASURE"] == "1"])
    assert (counts % 5 == 0).all() and (counts >= 0).all()
    ward_rates = [r for r in rows if r["MEASURE"] == "2" and r["AGE"] != "0" and r["GEOGRAPHY_CODE"].startswith("E05")]
    assert ward_rates and all(r["OBS_VALUE"] == "" and r["OBS_STATUS"] == "X" for r in ward_rates)
    nov = {r["GEOGRAPHY_CODE"]: r for r in rows if r["DATE"] == "2025-11" and r["AGE"] == "0" and r["MEASURE"] == "1"}
    assert abs(float(nov["E10000011"]["OBS_VALUE"]) - 11_415) < 150  # near the published East Sussex figure
    rate = {r["GEOGRAPHY_CODE"]: float(r["OBS_VALUE"]) for r in rows
            if r["DATE"] == "2025-11" and r["AGE"] == "0" and r["MEASURE"] == "2"}
    assert rate["E10000011"] == 3.6
    hastings = sorted((v, k) for k, v in rate.items() if k.startswith("E050112"))
    assert {k for _, k in hastings[-3:]} == {"E05011204", "E05011205", "E05011207"}  # focus wards highest


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
