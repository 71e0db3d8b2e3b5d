"""Demo mode end to end, and publishing: failed runs touch nothing, open readers are never blocked."""

import hashlib
import re

import duckdb
from werkzeug import Response

from lmi_demo.snapshot import build_demo_snapshot
from lmi_pipeline.settings import load_settings
from tests.conftest import live_settings, make_project, run_pipeline, sim_handler


def _digest(settings) -> dict[str, str]:
    files = [settings.published_db] + sorted(p for p in settings.assets_dir.rglob("*") if p.is_file())
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def test_demo_mode_is_labelled_synthetic_everywhere(tmp_path):
    project = make_project(tmp_path)
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
    build_demo_snapshot(settings)
    assert run_pipeline(settings).success
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        # Every upstream response is synthetic, MHCLG's IoD 2025 File 7 included (the demo's is made up).
        labels = dict(conn.execute("SELECT source_asset, any_value(data_label) FROM provenance GROUP BY 1").fetchall())
        assert labels.pop("raw_iod") == "synthetic demo data"
        assert set(labels.values()) == {"synthetic demo data"}
        assert conn.execute("SELECT DISTINCT data_label FROM ward_indicators").fetchall() == [("synthetic demo data",)]
        assert conn.execute("SELECT DISTINCT source_mode FROM provenance").fetchall() == [("demo",)]
    chart = (settings.assets_dir / "charts" / "claimant_rate_focus_wards.html").read_text()
    assert "SYNTHETIC DEMO DATA" in chart and "synthetic demo data" in chart
    assert 'src="plotly.min.js"' in chart and "cdn.plot.ly" not in chart  # works offline
    assert (settings.assets_dir / "charts" / "plotly.min.js").stat().st_size > 1_000_000


def test_failed_run_leaves_the_publication_untouched(httpserver, sim, tmp_path):
    """Wrong data (a count that is not a multiple of 5) fails a blocking check: nothing is published. (A source
    that fails upstream degrades instead: tests/test_source_isolation.py.)"""
    handler = sim_handler(sim)
    state = {"broken": False}

    def maybe_broken(request):
        response = handler(request)
        if state["broken"] and "NM_162_1.data.csv" in request.path:
            body = re.sub(r'(,"Claimant count","Value",)(\d+)(,)', lambda m: m.group(1) + str(int(m.group(2)) + 1)
                          + m.group(3), response.get_data(as_text=True), count=1)
            return Response(body, status=200, content_type="text/csv")
        return response

    httpserver.expect_request(re.compile(".*")).respond_with_handler(maybe_broken)
    settings = live_settings(make_project(tmp_path), sim, httpserver.url_for("/").rstrip("/"))
    assert run_pipeline(settings).success
    before = _digest(settings)
    state["broken"] = True
    result = run_pipeline(settings, raise_on_error=False)
    assert not result.success
    failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    assert "counts_are_rounded_to_five" in failed
    assert _digest(settings) == before


def test_open_reader_keeps_its_view_and_never_blocks_a_run(httpserver, sim, tmp_path):
    httpserver.expect_request(re.compile(".*")).respond_with_handler(sim_handler(sim))
    settings = live_settings(make_project(tmp_path), sim, httpserver.url_for("/").rstrip("/"))
    assert run_pipeline(settings).success
    reader = duckdb.connect(str(settings.published_db), read_only=True)
    old_run = reader.execute("SELECT max(retrieved_at) FROM provenance").fetchone()[0]
    assert run_pipeline(settings).success  # the reader holds the file open throughout
    assert reader.execute("SELECT max(retrieved_at) FROM provenance").fetchone()[0] == old_run
    reader.close()
    with duckdb.connect(str(settings.published_db), read_only=True) as fresh:
        assert fresh.execute("SELECT max(retrieved_at) FROM provenance").fetchone()[0] > old_run


def _work_db(path, create):
    create(path)
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE t AS SELECT range AS i, range * 0.5 AS x FROM range(50000)")
        conn.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM t WHERE i % 3 = 0")  # leaves freed blocks
        conn.execute("COMMENT ON TABLE t IS 'kept'")
    return path


def test_a_working_database_in_the_published_format_is_published_as_a_file_copy(tmp_path):
    """A run creates its working database in DuckDB 1.4's format, so publishing is a checkpoint and a file copy;
    one from before (DuckDB's own newer default) is still copied table by table into a 1.4 file."""
    from lmi_pipeline.database.storage import copy_database, create_database, storage_version
    for create, how in ((create_database, "file"), (lambda p: duckdb.connect(str(p)).close(), "tables")):
        work = _work_db(tmp_path / f"{how}.duckdb", create)
        dest = tmp_path / f"{how}.published.duckdb"
        assert copy_database(work, dest) == how
        assert storage_version(dest).startswith("v1.4.0") and not (tmp_path / f"{how}.published.duckdb.wal").exists()
        with duckdb.connect(str(dest), read_only=True) as conn:
            assert conn.execute("SELECT count(*), sum(i) FROM t").fetchone() == (16667, sum(range(0, 50000, 3)))
            assert conn.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 't'").fetchone()[0] == "kept"
