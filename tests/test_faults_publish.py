"""Publishing: a write-ahead log beside the published database, a read-write session on it, publishing
across filesystems (and finishing a journal that moved across them), and a publication that would shrink
the history (docs/reliability.md, "Publishing").

Real DuckDB files and real Dagster runs on a copy of one published baseline, against the fault server. A
second filesystem is a tmpfs (/dev/shm) where there is one; the kernel's EXDEV is also simulated, so the
journal tests run anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import stat

import dagster as dg
import duckdb
import pytest

from lmi_pipeline.sources.claimant_months import extend_claimant_months
from lmi_pipeline.operations.refresh import RANGE_END, RANGE_START, plan_refresh, refresh_selection
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.database.publication import JOURNAL_NAME, PUBLISHED_MODE, recover_publication
from lmi_pipeline.database.storage import copy_database, wal_of
from tests.conftest import fast_resources, observe
from tests.faults_support import (
    FaultServer, ReadWriteSession, copy_project, definitions, digest, leftovers, opens_read_only_elsewhere,
    other_filesystem, published_baseline, published_months, run_through, simulate_other_filesystem,
)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


def _warnings(instance, result) -> list[str]:
    return [e.user_message for e in instance.all_logs(result.run_id) if e.level >= 30 and e.user_message]


def test_a_stale_wal_beside_the_published_database_is_removed_and_readers_still_open_it(baseline, tmp_path):
    project = copy_project(tmp_path, baseline)
    with FaultServer() as server:
        settings = server.settings(project)
        assert stat.S_IMODE(settings.published_db.stat().st_mode) == PUBLISHED_MODE  # read-only on disk
        session = ReadWriteSession(settings.published_db)  # `duckdb data/lmi.duckdb`, then killed
        session.kill()
        wal = wal_of(settings.published_db)
        assert wal.exists()
        assert opens_read_only_elsewhere(settings.published_db)[0]  # its own log still matches the old file

        instance = dg.DagsterInstance.ephemeral()
        result = run_through(settings, "claimant_rate_chart", instance=instance)  # the chart and the publish step
        assert result.success, failure_messages(result)
        assert not wal.exists() and leftovers(settings) == []
        ok, said = opens_read_only_elsewhere(settings.published_db)  # before: "WAL does not match database file"
        assert ok, said
        assert stat.S_IMODE(settings.published_db.stat().st_mode) == PUBLISHED_MODE
        assert any(f"removed {wal}: a write-ahead log left beside the published database" in w
                   for w in _warnings(instance, result)), _warnings(instance, result)
        if os.geteuid() != 0:  # permissions do not stop root
            with pytest.raises(duckdb.Error):
                duckdb.connect(str(settings.published_db))


def test_a_read_write_session_on_the_published_database_refuses_the_publication(baseline, tmp_path):
    project = copy_project(tmp_path, baseline)
    with FaultServer() as server:
        settings = server.settings(project)
        session = ReadWriteSession(settings.published_db)
        try:
            before = digest(settings)
            result = run_through(settings, "claimant_rate_chart")
            assert not result.success
            (message,) = failure_messages(result)
            assert message.startswith(f"published_database: PublishError: {settings.published_db} is open "
                                      f"read-write by process {session.proc.pid}"), message
            assert "close that session" in message and f"duckdb -readonly {settings.published_db}" in message
            assert digest(settings) == before and leftovers(settings) == []
        finally:
            session.kill()
        result = run_through(settings, "claimant_rate_chart")  # closed (here: killed): the next run publishes
        assert result.success, failure_messages(result)
        assert opens_read_only_elsewhere(settings.published_db)[0] and not wal_of(settings.published_db).exists()


@pytest.mark.parametrize("elsewhere", ["LMI_ASSETS_DIR", "LMI_DATA_DIR"])
def test_publishing_across_filesystems(baseline, tmp_path, elsewhere):
    """Staged files live under data/work, assets/ under the project: with either on another filesystem the
    old moves failed with EXDEV after the journal said "commit", and every later run failed at setup."""
    other = other_filesystem(tmp_path)
    if other is None:
        pytest.skip("no second filesystem (a tmpfs at /dev/shm) here; test_a_journal_... simulates one")
    try:
        project = copy_project(tmp_path, baseline)
        moved = other / ("assets" if elsewhere == "LMI_ASSETS_DIR" else "data")
        shutil.copytree(project / moved.name, moved)
        shutil.rmtree(project / moved.name)
        with FaultServer() as server:
            settings = server.settings(project, **{elsewhere: str(moved)})
            assert os.stat(settings.staging_dir.parent).st_dev != os.stat(settings.assets_dir).st_dev
            for _ in range(2):  # and the run after it
                result = run_through(settings, "claimant_rate_chart")
                assert result.success, failure_messages(result)
                assert not (settings.data_dir / JOURNAL_NAME).exists() and leftovers(settings) == []
                assert not [p for p in settings.assets_dir.rglob(".*")]  # no half-moved file left in assets/
                assert opens_read_only_elsewhere(settings.published_db)[0]
            assert (settings.assets_dir / "charts" / "claimant_rate_focus_wards.html").exists()
    finally:
        shutil.rmtree(other, ignore_errors=True)


def test_a_journal_that_moves_across_filesystems_is_finished_and_publishing_never_crosses(baseline, tmp_path,
                                                                                         monkeypatch):
    project = copy_project(tmp_path, baseline)
    with FaultServer() as server:
        settings = server.settings(project)
        refused = simulate_other_filesystem(monkeypatch, settings.assets_dir)  # assets/ "on another disk"

        # A journal in state "commit" as the earlier version wrote it: staged files moved straight from
        # data/work/.../staging into assets/ (across filesystems), then the database copy.
        staged = settings.staging_dir / "claimant_rate_chart" / "charts" / "note.html"
        staged.parent.mkdir(parents=True)
        staged.write_text("<p>staged by the interrupted run</p>")
        nxt = settings.data_dir / ".lmi.duckdb.next"
        copy_database(settings.work_db, nxt)
        dest = settings.assets_dir / "charts" / "note.html"
        (settings.data_dir / JOURNAL_NAME).write_text(json.dumps({
            "state": "commit", "started": "2026-12-01T06:31:00+00:00",
            "moves": [[str(staged), str(dest)], [str(nxt), str(settings.published_db)]], "deletes": []}))
        note = recover_publication(settings.data_dir)  # what every run's lock holder (and lmi) does first
        assert note and note.startswith("completed a publication interrupted at 2026-12-01T06:31:00+00:00")
        assert refused and refused[0][0] == str(staged)  # the rename was refused (EXDEV) and a copy made instead
        assert dest.read_text() == "<p>staged by the interrupted run</p>" and not staged.exists()
        assert not (settings.data_dir / JOURNAL_NAME).exists() and leftovers(settings) == []
        assert opens_read_only_elsewhere(settings.published_db)[0]

        # And a publication now only ever renames within a folder: nothing is refused.
        refused.clear()
        result = run_through(settings, "claimant_rate_chart")
        assert result.success, failure_messages(result)
        assert refused == [] and leftovers(settings) == [] and not list(settings.assets_dir.rglob(".*"))
        assert not dest.exists()  # a stale file of charts/, removed by the publication that owns the folder


def _partial_build(settings, instance, months: list[str]):
    """A refresh of only `months`, as a plan from release stamps made it, run on whatever working database
    there is (every asset, so a lost working database is rebuilt around those months)."""
    d = definitions()
    extend_claimant_months(instance, months[-1])
    return dg.materialize(list(d.assets) + list(d.asset_checks), instance=instance,
                          resources=fast_resources(settings), raise_on_error=False,
                          tags={RANGE_START: f"{months[0]}-01", RANGE_END: f"{months[-1]}-01"})


def test_a_publication_never_shrinks_the_history(baseline, tmp_path):
    project = copy_project(tmp_path, baseline)
    with FaultServer() as server:
        settings = server.settings(project)
        months = published_months(settings)
        before = digest(settings)
        instance = dg.DagsterInstance.ephemeral()

        # data/work lost, then a refresh of the last two months only: its build holds 2 of 166 months.
        shutil.rmtree(settings.work_dir)
        result = _partial_build(settings, instance, months[-2:])
        assert not result.success
        failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
        assert [e.check_name for e in failed] == ["publication_keeps_history"], [e.check_name for e in failed]
        problem = failed[0].metadata["problem"].value
        assert problem.startswith("publishing this build would shrink the history: it lacks 164 claimant month(s) "
                                  "the last publication has (2013-01 to 2026-08"), problem
        assert "164 of the 166 months lmi.toml asks for (2013-01 to 2026-10" in problem
        assert not result.asset_materializations_for_node("published_database")
        assert digest(settings) == before

        logged = [e.user_message for e in instance.all_logs(result.run_id) if e.level >= 40]  # what `lmi` shows
        assert any(m.startswith("publication_keeps_history: publishing this build would shrink") for m in logged)

        # A run without claimant_count in it (the check does not run: the indicators and everything after
        # them, built on the two months) is refused by the publish step itself; and with no earlier
        # publication the configuration alone says what is missing.
        settings.published_db.unlink()
        result = run_through(settings, "area_indicators")
        (message,) = failure_messages(result)
        assert message.startswith("published_database: PublishError: publishing this build would shrink the "
                                  "history: it lacks 164 of the 166 months lmi.toml asks for"), message
        assert not settings.published_db.exists()

        # The next refresh plans from what the working database holds: the whole history, and publishes it.
        d = definitions()
        resources = fast_resources(settings)
        observe(instance, resources)
        plan = plan_refresh(instance, resources["nomis"], "2013-01", 2, dfe=resources["dfe"],
                            work_db=settings.work_db)
        assert plan.refreshed["raw_claimant_count"].startswith(
            "2013-01 to 2026-10: full history: the working database lacks 164 of the months from 2013-01 to "
            "2026-10"), plan.summary()
        result = dg.materialize(list(d.assets) + list(d.asset_checks), instance=instance, resources=resources,
                                tags=plan.partition_tags(), selection=refresh_selection(d, plan),
                                raise_on_error=False)
        assert result.success, failure_messages(result)
        assert published_months(settings) == months
