"""The benchmark's independent floor (benchmarks/floor.py) computes the pipeline's claimant-count
ward_indicators: the same rows and values, from the same recorded pages, at district ('la') scale.

The pipeline runs as the benchmark runs it (the upstream recorded by bench.prepare, served by the replay
server, the stages as real Dagster runs); the floor reads the same recorded pages. The comparison is
set-wise in DuckDB (EXCEPT both ways) and must be able to fail: a copy of the floor's table with one
figure changed, one row dropped or one benchmark value blanked is told apart.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from benchmarks import bench, floor


# The benchmark's 'la' scale (Hastings: one district, 2024 wards), and the tests' two districts (Hastings and
# Maidstone, whose wards changed in 2023: figures on both 2022 and 2024 wards, ranked and changed apart).
AREAS = {"la": None, "hastings_maidstone": 'districts = ["E07000062", "E07000110"]'}


@pytest.fixture(scope="module", params=list(AREAS))
def recorded(request, tmp_path_factory):
    """Recorded and run through the pipeline (stages as the benchmark runs them), then the floor."""
    workdir = tmp_path_factory.mktemp("floor") / request.param
    bench.prepare("la", workdir, areas=AREAS[request.param])
    prerequisites, transform, _ = bench.pipeline_assets()
    with bench.replay(workdir) as log:
        run = bench.pipeline_once(workdir, log, prerequisites, transform)
    assert all(run[s]["success"] for s in ("prerequisites", "ingest", "transform", "publish"))
    result = floor.run(workdir)
    return workdir, workdir / "data" / "lmi.duckdb", result


def test_the_floor_agrees_with_the_pipeline(recorded):
    workdir, pipeline_db, result = recorded
    c = floor.compare(pipeline_db, result["published"])
    assert c["only_in_pipeline"] == 0, c["only_in_pipeline_sample"]
    assert c["only_in_floor"] == 0, c["only_in_floor_sample"]
    assert c["p_rows"] == c["f_rows"] > 0
    assert c["p_indicators"] == c["f_indicators"] == sorted(floor.INDICATORS)
    assert c["agree"]
    if workdir.name == "hastings_maidstone":  # both boundary vintages were compared
        con = duckdb.connect(str(result["published"]), read_only=True)
        try:
            vintages = con.execute("SELECT list(DISTINCT ward_vintage ORDER BY ward_vintage) FROM ward_indicators "
                                   "WHERE lad_code = 'E07000110'").fetchone()[0]
        finally:
            con.close()
        assert vintages == [2022, 2024]


def test_the_comparison_is_not_trivial(recorded):
    """Every compared figure is there to compare (both are shire districts: no combined authority)."""
    _, pipeline_db, result = recorded
    c = floor.compare(pipeline_db, result["published"])
    for side in ("p_non_null", "f_non_null"):
        empty = [col for col, n in c[side].items() if n == 0]
        assert empty == ["combined_authority_value"], (side, c[side])
    assert c["f_non_null"]["change_12m"] < c["f_rows"]  # the first year has no change: NULL, not 0
    assert result["rows"] > 0 and result["pages"] >= 1


@pytest.mark.parametrize("change, where", [
    ("SET value = value + 0.1", "indicator = 'claimant_rate_16_24'"),
    ("SET change_12m = NULL", "change_12m IS NOT NULL"),
    ("SET county_value = NULL", "county_value IS NOT NULL"),
    ("SET rank_in_lad = rank_in_lad + 1", "rank_in_lad IS NOT NULL"),
    ("DELETE", "indicator = 'claimant_count'"),
])
def test_a_perturbed_copy_is_told_apart(recorded, tmp_path, change, where):
    _, pipeline_db, result = recorded
    copy = tmp_path / "perturbed.duckdb"
    shutil.copyfile(result["published"], copy)
    con = duckdb.connect(str(copy))
    try:
        one = (f"rowid = (SELECT min(rowid) FROM ward_indicators WHERE {where})")
        statement = f"DELETE FROM ward_indicators WHERE {one}" if change == "DELETE" else \
            f"UPDATE ward_indicators {change} WHERE {one}"
        assert con.execute(statement).fetchone()[0] == 1
    finally:
        con.close()
    c = floor.compare(pipeline_db, copy)
    assert not c["agree"]
    assert c["only_in_pipeline"] == 1
    assert c["only_in_floor"] == (0 if change == "DELETE" else 1)


def test_the_floor_publishes_a_file_duckdb_1_4_reads(recorded):
    _, _, result = recorded
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{result['published']}' AS pub (READ_ONLY)")
        tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'pub'").fetchone()[0]
        assert tags["storage_version"].startswith("v1.4.0")
        assert con.execute("SELECT count(*) FROM pub.ward_indicators").fetchone()[0] == result["ward_rows"]
    finally:
        con.close()
