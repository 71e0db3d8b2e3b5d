"""Runs killed with SIGKILL (at the fetch, the load and the publish) and two refreshes at once.

A refresh of the claimant count (and everything built from it, up to the publish step; or, to be killed
while publishing, of the chart and the publish step) runs in a child process (tests/faults_child.py)
against the fault server, with a Dagster instance on disk. The test waits
for real progress (a request held by the server, or a marker the child writes at a pause point), kills
it, and checks that data/lmi.duckdb and assets/ are exactly as before (or, once a publication was
committed, exactly the new one) and that the working database opens with its committed content. Then
the next run must succeed and leave nothing behind. (`lmi run` itself, end to end with failures:
test_faults_input.py and test_faults_secrets.py.)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from lmi_pipeline.cli import main
from lmi_pipeline.runtime.run_lock import RefreshRunningError, RunLock, lock_path
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.settings import load_settings
from lmi_pipeline.database.publication import JOURNAL_NAME, recover_publication
from lmi_pipeline.runtime.run_start import RunLockResource
from lmi_pipeline.database.storage import WarehouseResource
from tests.conftest import make_project
from tests.faults_support import (
    PYTHON, ROOT, SECRET, Fault, FaultServer, baseline_tags, child_env, copy_project, digest, is_data, leftovers,
    published_baseline, run_through, wait_for,
)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


@pytest.fixture(autouse=True)
def no_child_left():
    """Whatever happens in a test, no `lmi run` child outlives it."""
    yield
    for child in Child.started:
        if child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait()
    Child.started.clear()


class Child:
    """A refresh in a subprocess, paused at `point` (see faults_child.py): of the claimant count and all
    built from it; for the publish points, of the chart and the publish step only (quicker, same publish)."""

    started: list["Child"] = []

    def __init__(self, settings, home: Path, tmp: Path, point: str = ""):
        self.marker, self.release, self.log = tmp / f"paused-{point}", tmp / f"release-{point}", tmp / f"{point}.log"
        env = child_env(settings, home, NOMIS_UID=SECRET, LMI_TEST_PAUSE_AT=point,
                        LMI_TEST_MARKER=str(self.marker), LMI_TEST_RELEASE=str(self.release),
                        LMI_TEST_SELECT="claimant_rate_chart,published_database" if point.startswith("publish")
                        else "raw_claimant_count*", LMI_TEST_TAGS=json.dumps(baseline_tags()))
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen([PYTHON, str(ROOT / "tests" / "faults_child.py"), "run"], env=env,
                                     stdout=self.out, stderr=subprocess.STDOUT, cwd=settings.project_dir)
        Child.started.append(self)

    def paused(self) -> None:
        wait_for(self.marker.exists, f"the child to pause ({self.marker.name})", proc=self.proc)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(30) == -signal.SIGKILL
        self.out.close()


def _raw_rows(settings) -> int:
    with duckdb.connect(str(settings.work_db)) as conn:  # opening replays the write-ahead log, if any
        return conn.execute("SELECT count(*) FROM raw_claimant_count").fetchone()[0]


def _staging_tables(db) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE suffix(table_name, "
                                           "'__incoming')").fetchall()]


def test_killed_at_fetch_load_and_publish_then_the_next_run_succeeds(baseline, tmp_path, monkeypatch, capsys):
    project = copy_project(tmp_path, baseline)
    home = tmp_path / "dagster-home"
    with FaultServer() as server:
        settings = server.settings(project)
        before, rows_before = digest(settings), _raw_rows(settings)

        # 1. the fetch: the server holds the first claimant-count page until the run is dead
        server.faults = [Fault(is_data("NM_162_1"), ("block",), times=1)]
        child = Child(settings, home, tmp_path)
        wait_for(server.reached.is_set, "the claimant-count download", proc=child.proc)
        child.kill()
        server.release.set()
        assert digest(settings) == before and leftovers(settings) == []

        # 2. the load: every page committed to the staging table, not yet moved into place
        child = Child(settings, home, tmp_path, "load")
        child.paused()
        child.kill()
        assert digest(settings) == before and leftovers(settings) == []
        assert _raw_rows(settings) == rows_before  # the raw table is as the last good load left it
        assert _staging_tables(settings.work_db) == ["raw_claimant_count__incoming"]  # dropped by the next run

        # 3. the publish, while copying, and a second refresh started meanwhile: it refuses, touching nothing
        child = Child(settings, home, tmp_path, "publish-copy")
        child.paused()
        seen = len(server.requests())
        code, output = _lmi_run(monkeypatch, capsys, settings, server, home)
        assert code == 2 and f"another refresh is running: pid {child.proc.pid}" in output, output
        assert len(server.requests()) == seen  # refused before any request
        race = run_through(settings, "raw_population")  # a run that got past that check: its lock refuses it
        (message,) = failure_messages(race)
        assert message.startswith(f"run: RefreshRunningError: another refresh is running: pid {child.proc.pid}")
        child.kill()
        assert digest(settings) == before
        # the half-made copy and the journal saying so: the next run deletes both
        assert leftovers(settings) == [JOURNAL_NAME, ".lmi.duckdb.next"]
        assert json.loads((settings.data_dir / JOURNAL_NAME).read_text())["state"] == "prepare"

        # 4. the publish, committed, killed after moving the first file: the database is still the old one
        child = Child(settings, home, tmp_path, "publish-moves")
        child.paused()
        child.kill()
        assert digest(settings)["data/lmi.duckdb"] == before["data/lmi.duckdb"]
        assert json.loads((settings.data_dir / JOURNAL_NAME).read_text())["state"] == "commit"
        note = recover_publication(settings.data_dir)  # what the next run's lock holder does first
        assert note and note.startswith("completed a publication interrupted")
        published = digest(settings)
        assert published["data/lmi.duckdb"] != before["data/lmi.duckdb"] and leftovers(settings) == []
        with duckdb.connect(str(settings.published_db), read_only=True) as conn:
            assert conn.execute("SELECT count(*) FROM ward_indicators").fetchone()[0] > 0

        # 5. the next run, in the same Dagster instance (where the killed runs hold pool slots), succeeds
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        with dg.DagsterInstance.get() as instance:
            result = run_through(settings, "raw_claimant_count", instance=instance)
            killed = [r for r in instance.get_runs() if r.status == dg.DagsterRunStatus.FAILURE]
        assert result.success, failure_messages(result)
        assert len(killed) == 4  # the four killed runs, marked failed when this one started
        assert digest(settings) != published and leftovers(settings) == []
        assert not (settings.data_dir / JOURNAL_NAME).exists()
        assert _staging_tables(settings.work_db) == _staging_tables(settings.published_db) == []
        RunLock(lock_path(settings.work_dir)).acquire().release()  # nobody holds the lock
        with duckdb.connect(str(settings.published_db), read_only=True) as conn:
            assert conn.execute("SELECT count(*) FROM ward_indicators").fetchone()[0] > 0


def _lmi_run(monkeypatch, capsys, settings, server, home) -> tuple[int, str]:
    """`lmi run` in this process, on the children's Dagster instance."""
    monkeypatch.chdir(settings.project_dir)
    for key, value in child_env(settings, home, NOMIS_UID=SECRET).items():
        monkeypatch.setenv(key, value)
    code = main(["run"])
    out = capsys.readouterr()
    return code, out.err + out.out


@dg.asset
def touches_the_warehouse(warehouse: WarehouseResource) -> None:
    with warehouse.get_connection() as conn:
        conn.execute("CREATE OR REPLACE TABLE touched AS SELECT 1 AS x")


def _locked_warehouse(db, **lock) -> WarehouseResource:
    """The working database `db` with its run lock, as build_resources configures them."""
    return WarehouseResource(database=str(db), run_lock=RunLockResource(lock_dir=str(db.parent), work_db=str(db),
                                                                        **lock))


def test_a_second_refresh_waits_when_told_to_then_runs(tmp_path):
    """With wait_seconds, the second run waits for the first to finish instead of refusing."""
    db = tmp_path / "work" / "lmi_build.duckdb"
    first = RunLock(lock_path(db.parent)).acquire(purpose="the first refresh")
    refused = dg.materialize([touches_the_warehouse], resources={"warehouse": _locked_warehouse(db)},
                             raise_on_error=False)
    assert "another refresh is running: pid" in failure_messages(refused)[0] and not db.exists()
    timer = threading.Timer(1.5, first.release)
    timer.start()
    waited = dg.materialize([touches_the_warehouse], resources={"warehouse": _locked_warehouse(db, wait_seconds=60)})
    timer.join()
    assert waited.success and not first.held
    with pytest.raises(RefreshRunningError, match=r"another refresh is running \(waited 2s\)"):
        with RunLock(lock_path(db.parent)).acquire():
            RunLock(lock_path(db.parent)).acquire(wait_seconds=2)
    # Another step of the same run (an executor with a process per step) queues instead of refusing.
    step = RunLock(lock_path(db.parent)).acquire(purpose="step 1", run_id="run-1")
    timer = threading.Timer(1.5, step.release)
    timer.start()
    second = RunLock(lock_path(db.parent)).acquire(purpose="step 2", run_id="run-1")
    timer.join()
    assert second.held and not step.held
    second.release()


def test_a_busy_or_broken_working_database_is_a_clear_error(tmp_path):
    db = tmp_path / "work" / "lmi_build.duckdb"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not a DuckDB database" * 100)
    broken = dg.materialize([touches_the_warehouse], resources={"warehouse": _locked_warehouse(db)},
                            raise_on_error=False)
    (message,) = failure_messages(broken)
    assert f"the working database {db} cannot be opened" in message and "mv " in message and "lmi run" in message
    db.unlink()
    holder = subprocess.Popen([PYTHON, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        busy = dg.materialize([touches_the_warehouse], resources={"warehouse": _locked_warehouse(db)},
                              raise_on_error=False)
    finally:
        holder.kill()
        holder.wait()
    (message,) = failure_messages(busy)
    assert f"the working database {db} is open in another process" in message and "data/lmi.duckdb" in message


def test_a_staging_table_a_killed_load_left_is_dropped_before_the_next_run(tmp_path):
    db = tmp_path / "work" / "lmi_build.duckdb"
    db.parent.mkdir(parents=True)
    with duckdb.connect(str(db)) as conn:
        conn.execute("CREATE TABLE raw_population AS SELECT 'last good load' AS v")
        conn.execute("CREATE TABLE raw_population__incoming AS SELECT 'half a load' AS v")
    result = dg.materialize([touches_the_warehouse], resources={"warehouse": _locked_warehouse(db)})
    assert result.success
    with duckdb.connect(str(db), read_only=True) as conn:
        assert sorted(r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()) == [
            "raw_population", "touched"]
        assert conn.execute("SELECT v FROM raw_population").fetchall() == [("last good load",)]


def test_rebuilding_the_demo_snapshot_takes_the_run_lock(tmp_path, monkeypatch, capsys):
    """Two runs rebuilding data/snapshot/ at once would leave a mixture: the second refuses."""
    project = make_project(tmp_path)
    monkeypatch.chdir(project)
    monkeypatch.setenv("LMI_SOURCE", "demo")
    monkeypatch.setenv("LMI_PROJECT_DIR", str(project))
    settings = load_settings()
    with RunLock(lock_path(settings.work_dir)).acquire(purpose="nightly refresh"):
        code = main(["demo-snapshot"])
    err = capsys.readouterr().err
    assert code == 2 and "another refresh is running" in err and "a nightly refresh started" in err, err
    assert not settings.snapshot_dir.exists()
