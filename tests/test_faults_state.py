"""State that can lie: planning from what the databases really hold, the run lock, a working database lost
mid-run, and folders that cannot be written (docs/reliability.md, "State that can lie").

Every refresh here is a real `lmi refresh` (lmi_pipeline.cli.main, in this process) against the fault
server, on a copy of one published baseline, with a Dagster instance on disk; the lock test runs the first
refresh in a child process (tests/faults_child.py) paused mid-load.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from lmi_demo.server import UpstreamSim
from lmi_demo.world import World
from lmi_pipeline.runtime.run_lock import LockLostError, RefreshRunningError, RunLock, lock_path
from lmi_pipeline.runtime.run_start import RunLockResource
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.settings import UnwritableDirectoryError, check_writable
from lmi_pipeline.database.storage import WarehouseResource
from tests.faults_support import (
    ChildRun, FaultServer, ReadOnlyDir, ReadWriteSession, copy_project, digest, leftovers, opens_read_only_elsewhere,
    published_baseline, published_months, run_lmi, run_through,
)

NEXT_MONTH, NEXT_RELEASE = "2026-11", "2026-12-15 09:30:00"  # one month after the synthetic upstream's latest


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


def _claimant_downloads(server: FaultServer) -> list[str]:
    """Claimant-count data pages (not the one-row probe for the latest month)."""
    return [p for p in server.requests("NM_162_1.data.csv") if "date=latest" not in p]


def _new_release(server: FaultServer) -> None:
    server.sim = UpstreamSim(World.default().with_latest_month(NEXT_MONTH))
    server.sim.nomis.released = NEXT_RELEASE


def _district_months(settings, lad: str) -> int:
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        return conn.execute("SELECT count(DISTINCT c.period) FROM claimant_count c JOIN ward_lookup w "
                            "ON w.ward_code = c.area_code WHERE w.lad_code = ? AND c.area_level = 'ward'",
                            [lad]).fetchone()[0]


def test_refresh_rebuilds_what_the_working_and_published_databases_lack(baseline, tmp_path, monkeypatch, capsys):
    project = copy_project(tmp_path, baseline)
    home = tmp_path / "dagster-home"
    with FaultServer() as server:
        settings = server.settings(project)
        months = published_months(settings)
        assert len(months) == 166

        # 1. data/lmi.duckdb deleted: it is rebuilt from the working database, with no claimant download.
        settings.published_db.unlink()
        code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
        assert code == 0, out
        assert f"publish: {settings.published_db} does not exist" in out and "nothing new upstream" not in out, out
        assert published_months(settings) == months and _claimant_downloads(server) == []

        # 2. nothing changed: a no-op, as before (state is not distrusted for nothing)
        code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
        assert code == 0 and "nothing new upstream" in out, out

        # 3. a district added to lmi.toml (the release unchanged): its whole history is fetched
        areas = settings.areas_file.read_text()
        settings.areas_file.write_text(areas + '\n[[local_authority]]\ncode = "E07000061"\n')
        code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
        assert code == 0, out
        assert "fetch raw_claimant_count: 2013-01 to 2026-10: full history: the working database lacks district " \
               "E07000061 in 166 month(s)" in out, out
        assert "fetch raw_population: full refresh" in out and "lacks configured district(s) E07000061" in out, out
        assert _district_months(settings, "E07000061") == 166 and _district_months(settings, "E07000062") == 166

        # 4. ... and removed again: the sources holding it are fetched again without it, and the publication
        #    is rebuilt (no loss: it is not asked for any more)
        settings.areas_file.write_text(areas)
        code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
        assert code == 0, out
        assert "full history: the working database holds district(s) no longer in lmi.toml (E07000061)" in out, out
        assert _district_months(settings, "E07000061") == 0 and published_months(settings) == months

        # 5. only the focus wards change: nothing to fetch, but the publication is rebuilt for them
        settings.areas_file.write_text(areas.replace('focus_wards = ["Park Wood"]', 'focus_wards = ["Shepway North"]'))
        code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
        assert code == 0, out
        assert "lmi.toml changed since" in out and "(focus_wards)" in out and "nothing new upstream" not in out, out
        with duckdb.connect(str(settings.published_db), read_only=True) as conn:
            assert "Shepway North" in conn.execute("SELECT focus_wards FROM areas_config").fetchone()[0]

        # 6. data/work lost (documented as rebuildable), then a new release: the whole history is published,
        #    not the two months a plan from release stamps would fetch.
        shutil.rmtree(settings.work_dir)
        _new_release(server)
        code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
        assert code == 0, out
        assert published_months(settings) == months + [NEXT_MONTH]
        assert leftovers(settings) == []


def test_a_refresh_that_loaded_but_could_not_publish_is_published_by_the_next(baseline, tmp_path, monkeypatch,
                                                                             capsys):
    """A new month loaded into the working database, then the publish refused (a researcher's read-write
    session on data/lmi.duckdb): the next night the release stamp is the one held, yet the publication
    lacks the month. Planning compares the two databases, so it publishes; it does not say "current"."""
    project = copy_project(tmp_path, baseline)
    home = tmp_path / "dagster-home"
    with FaultServer() as server:
        settings = server.settings(project)
        months = published_months(settings)
        _new_release(server)
        session = ReadWriteSession(settings.published_db)
        try:
            before = digest(settings)
            code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
            assert code == 1, out
            assert f"is open read-write by process {session.proc.pid}" in out and "duckdb -readonly" in out, out
            assert digest(settings) == before
        finally:
            session.kill()  # killed, as a session left open over a weekend would be: its log stays behind
        assert settings.published_db.with_name("lmi.duckdb.wal").exists()
        seen = len(_claimant_downloads(server))
        code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
        assert code == 0, out
        assert "nothing new upstream" not in out and "publish: " in out and "holds 166 claimant month(s), the " \
               "working database 167" in out, out
        assert len(_claimant_downloads(server)) == seen  # published from the working database: no download
        assert published_months(settings) == months + [NEXT_MONTH]
        assert not settings.published_db.with_name("lmi.duckdb.wal").exists()
        ok, said = opens_read_only_elsewhere(settings.published_db)
        assert ok, said


def test_deleting_data_work_mid_run_lets_no_second_run_in_and_stops_the_first(baseline, tmp_path, monkeypatch,
                                                                             capsys):
    project = copy_project(tmp_path, baseline)
    home = tmp_path / "dagster-home"
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        child = ChildRun(settings, home, tmp_path, "load")
        try:
            child.paused()  # holding the run lock, in the middle of loading the claimant count
            shutil.rmtree(settings.work_dir)  # "rebuildable working files"
            seen = len(server.requests())
            code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
            assert code == 2 and f"another refresh is running: pid {child.proc.pid}" in out, out
            assert len(server.requests()) == seen  # refused before any request
            race = run_through(settings, "raw_population")  # one that got past that check: the lock refuses it
            (message,) = failure_messages(race)
            assert message.startswith(f"run: RefreshRunningError: another refresh is running: pid {child.proc.pid}")
            assert lock_path(settings.work_dir) == settings.data_dir / "refresh.lock"

            # The first run goes on: its working database is gone, and it stops instead of writing a new,
            # empty one (which would publish two months of history).
            assert child.release() == 1
        finally:
            child.stop()
        # DuckDB notices first if the folder went while a connection was open (its COMMIT cannot write the
        # log); between steps, get_connection does (test_within_a_run_a_working_database_is_never_...).
        said = child.output()
        assert "was deleted during this run" in said or "lmi_build.duckdb.wal\": No such file" in said, said[-3000:]
        assert not settings.work_db.exists() and digest(settings) == before

        # The next refresh sees there is no working database and rebuilds everything.
        code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
        assert code == 0, out
        assert len(published_months(settings)) == 166 and leftovers(settings) == []


def test_a_deleted_lock_file_is_locked_again_by_its_holder_or_stops_it(tmp_path):
    path = lock_path(tmp_path / "work")
    first = RunLock(path).acquire(purpose="the first refresh")
    path.unlink()  # by hand
    note = first.ensure()  # what the holder does before each use of the working database
    assert note and "was deleted or replaced while this run held it" in note
    with pytest.raises(RefreshRunningError, match="another refresh is running: pid"):
        RunLock(path).acquire()
    assert first.ensure() is None

    path.unlink()  # and this time a second run locks the new file before the holder looks again
    second = RunLock(path).acquire(purpose="the second refresh")
    with pytest.raises(LockLostError, match="two refreshes may be running at once"):
        first.ensure()
    second.release()
    first.release()


@dg.asset
def loses_its_database(warehouse: WarehouseResource) -> None:
    with warehouse.get_connection() as conn:
        conn.execute("CREATE TABLE kept AS SELECT 1 AS x")
    shutil.rmtree(Path(warehouse.database).parent)  # data/work/live, as `rm -rf data/work` would
    with warehouse.get_connection() as conn:  # must not create a new, empty database
        conn.execute("SELECT 1")


def test_within_a_run_a_working_database_is_never_silently_recreated(tmp_path):
    db = tmp_path / "data" / "work" / "live" / "lmi_build.duckdb"
    warehouse = WarehouseResource(database=str(db), run_lock=RunLockResource(lock_dir=str(db.parent)))
    result = dg.materialize([loses_its_database], resources={"warehouse": warehouse}, raise_on_error=False)
    (message,) = failure_messages(result)
    assert f"WarehouseError: the working database {db} was deleted during this run" in message
    assert not db.exists()


@pytest.mark.parametrize("folder", ["data", "work", "assets"])
def test_a_folder_that_cannot_be_written_is_named_before_any_request(baseline, tmp_path, monkeypatch, capsys, folder):
    project = copy_project(tmp_path, baseline)
    home = tmp_path / "dagster-home"
    with FaultServer() as server:
        settings = server.settings(project)
        target = {"data": settings.data_dir, "work": settings.family_dir, "assets": settings.assets_dir}[folder]
        what = {"data": "data directory (LMI_DATA_DIR)", "work": "working directory",
                "assets": "assets directory (LMI_ASSETS_DIR)"}[folder]
        before = digest(settings)
        with ReadOnlyDir(target) as ro:
            if ro.skip_reason:
                pytest.skip(ro.skip_reason)
            with pytest.raises(UnwritableDirectoryError):
                check_writable([(what, target)])
            code, out = run_lmi(monkeypatch, capsys, settings, home, "refresh")
            assert code == 2, out
            line = next(line for line in out.splitlines() if line.startswith("lmi: "))
            assert line.startswith(f"lmi: the {what} {target} is not writable: ") and "Nothing was fetched" in line, out
            assert server.requests() == []  # before planning's first request
            # A run started another way (the UI, the schedule) stops at resource setup, before any step.
            result = run_through(settings, "raw_population")
            (message,) = failure_messages(result)
            assert message.startswith(f"run: UnwritableDirectoryError: the {what} {target} is not writable"), message
            assert server.requests() == []
        assert digest(settings) == before
