"""Errors a person meets as a one-line message that says what to do, never a traceback (docs/reliability.md,
"Errors that used to be tracebacks").

Each case is run the way a person meets it: `lmi run` (in this process, or in a child for Ctrl-C) against the
fault server or the demo snapshot, from a copy of one publication. It asserts the exit code (1 failed, 2
refused before the run, 130 interrupted), the message, that no traceback was printed, and that the last
publication (data/lmi.duckdb and assets/) is as it was. A new upstream column, which used to wedge every later
run, is now kept: that case asserts two runs in a row succeed.
"""

from __future__ import annotations

import csv
import io
import os
import re
import signal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from lmi_demo.server import UpstreamSim
from lmi_demo.snapshot import build_demo_snapshot, snapshot_is_current
from lmi_pipeline.cli import main
from lmi_pipeline.runtime.run_lock import lock_path, running_refresh
from lmi_pipeline.operations.runs import failure_messages
from lmi_pipeline.settings import load_settings
from lmi_pipeline.database.publication import JOURNAL_NAME
from tests.conftest import make_project
from tests.faults_support import (
    SECRET, Fault, FaultServer, copy_project, digest, is_data, leftovers, lmi_child, published_baseline, run_through,
    wait_for,
)

POP, CC = "NM_2014_1", "NM_162_1"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory) -> Path:
    """A project holding a synthetic demo snapshot for its lmi.toml (no publication yet); copy it, never edit it."""
    project = make_project(tmp_path_factory.mktemp("demo-snapshot"))
    build_demo_snapshot(load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)}))
    return project


def lmi(monkeypatch, capsys, project: Path, command: str = "run", server: FaultServer | None = None,
        **env: str) -> tuple[int, str]:
    """`lmi <command>` in this process (live against `server`, else demo); (exit code, stderr + stdout)."""
    monkeypatch.chdir(project)
    settings = {"LMI_SOURCE": "live" if server else "demo", "LMI_PROJECT_DIR": str(project),
                "NOMIS_MAX_REQUESTS_PER_SECOND": "0", "DAGSTER_HOME": str(project / ".dagster-home"),
                **({"NOMIS_UID": SECRET, **server.sim.base_urls(server.root)} if server else {}), **env}
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    home = Path(settings["DAGSTER_HOME"])
    if not (home / "dagster.yaml").exists() and not home.is_file():
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    code = main([command])
    out = capsys.readouterr()
    return code, out.err + out.out


def lmi_lines(output: str) -> list[str]:
    """What lmi itself printed to a person (not Dagster's log lines, which start with a timestamp)."""
    return [line for line in output.splitlines() if line.startswith("lmi")]


def no_traceback(output: str) -> bool:
    return "Traceback (most recent call last)" not in output and "Stack Trace:" not in output


# -- 1. a new upstream column ------------------------------------------------------------------------------------
def with_extra_column(name: str = "OBS_NOTE", value: str = "provisional", from_offset: int = 0):
    """Nomis adds a column to its CSV (on every page, or only from RECORD_OFFSET `from_offset` on)."""

    def mutate(body: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        offset = rows[0].index("RECORD_OFFSET")
        if not rows[1:] or int(rows[1][offset]) < from_offset:
            return body
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([rows[0] + [name], *(r + [value] for r in rows[1:])])
        return out.getvalue().encode()

    return mutate


def _figures(settings) -> list[tuple]:
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        return conn.execute("SELECT ward_code, indicator, period, value FROM ward_indicators ORDER BY ALL").fetchall()


@pytest.mark.parametrize("asset,dataset", [("raw_claimant_count", CC), ("raw_population", POP)])
def test_a_new_upstream_column_is_kept_and_the_runs_after_it_succeed(asset, dataset, baseline, tmp_path):
    """Before: the claimant count's monthly insert into its raw table failed on the new column (a DuckDB
    BinderException), on that run and every run after. Now the column is added to the raw table (NULL in the
    rows loaded before), no figure changes, and the next run succeeds too."""
    project = copy_project(tmp_path, baseline)
    with FaultServer() as server:
        settings = server.settings(project)
        before = _figures(settings)
        server.faults = [Fault(is_data(dataset), ("mutate", with_extra_column()))]
        second = run_through(settings, asset)
        assert second.success, failure_messages(second)
        third = run_through(settings, asset)
        assert third.success, failure_messages(third)
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        kept = conn.execute(f"SELECT count(*) FILTER (OBS_NOTE = 'provisional'), count(*) FROM {asset}").fetchone()
    assert kept[0] == kept[1] > 0  # every row of this load carries it, as served
    assert _figures(settings) == before and leftovers(settings) == []


def test_a_column_that_appears_partway_through_a_download_is_kept(baseline, tmp_path):
    """Pages of one download that differ in their columns (upstream changed mid-download): the staging
    table takes the new column; rows of the earlier pages have it NULL. (Before: BinderException.)"""
    project = copy_project(tmp_path, baseline)
    with FaultServer(sim=UpstreamSim(page_size=1000)) as server:
        settings = server.settings(project)
        server.faults = [Fault(is_data(POP), ("mutate", with_extra_column(from_offset=1000)))]
        result = run_through(settings, "raw_population")
        pages = len(server.requests(f"{POP}.data.csv?"))
    assert result.success, failure_messages(result)
    with duckdb.connect(str(settings.published_db), read_only=True) as conn:
        noted, total = conn.execute("SELECT count(OBS_NOTE), count(*) FROM raw_population").fetchone()
    assert pages > 2 and 0 < noted < total


# -- 2. a damaged demo snapshot -----------------------------------------------------------------------------------
def _first_response(snapshot: Path, service: str = "nomis") -> Path:
    return sorted((snapshot / service).glob("*/*.json"))[0]


DAMAGE = {  # case -> (what to break, relative to data/snapshot; how)
    "manifest-not-json": (lambda s: s / "manifest.json", lambda p: p.write_text('{"origin": "synth')),
    "manifest-not-an-object": (lambda s: s / "manifest.json", lambda p: p.write_text("[]")),
    "manifest-not-text": (lambda s: s / "manifest.json", lambda p: p.write_bytes(b"\xff\xfe\x00\x00")),
    "response-metadata-cut": (_first_response, lambda p: p.write_text(p.read_text()[:40])),
    "response-metadata-empty": (_first_response, lambda p: p.write_text("")),
    "response-body-missing": (_first_response, lambda p: p.with_suffix(".body").unlink()),
}
MESSAGE = {
    "manifest-not-json": r"is not valid JSON \(Unterminated string",
    "manifest-not-an-object": r"holds a JSON list, not an object",
    "manifest-not-text": r"is not text",
    "response-metadata-cut": r"is not valid JSON",
    "response-metadata-empty": r"is not valid JSON \(Expecting value",
    "response-body-missing": r"has no response body beside it \(\w+\.body is missing\)",
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_demo_snapshot_names_the_file_and_how_to_rebuild(case, demo_project, tmp_path, monkeypatch,
                                                                   capsys):
    """Before: a JSONDecodeError traceback (the manifest), or a step failing with a bare JSONDecodeError or
    FileNotFoundError (a response). Now `lmi run` and `lmi refresh` refuse before the run, naming the file."""
    project = copy_project(tmp_path, demo_project)
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
    where, damage = DAMAGE[case]
    broken = where(settings.snapshot_dir)
    damage(broken)
    for command in ("run", "refresh"):
        code, output = lmi(monkeypatch, capsys, project, command)
        assert code == 2 and no_traceback(output), output
        assert output.startswith(f"lmi: {broken}: ") and len(output.strip().splitlines()) == 1, output
        assert re.search(MESSAGE[case], output) and "`lmi demo-snapshot`" in output, output
    assert not settings.published_db.exists() and not settings.work_db.exists()  # the run never started


def test_the_advice_for_a_damaged_manifest_works(demo_project, tmp_path, monkeypatch, capsys):
    """`lmi demo-snapshot`, as the message says, rebuilds the snapshot without reading the damaged manifest."""
    project = copy_project(tmp_path, demo_project)
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
    (settings.snapshot_dir / "manifest.json").write_text("{")
    code, output = lmi(monkeypatch, capsys, project, "demo-snapshot")
    assert code == 0 and snapshot_is_current(settings), output


def test_a_failed_snapshot_rebuild_leaves_the_previous_snapshot_whole(demo_project, tmp_path, monkeypatch):
    """The rebuild is made in a folder beside the snapshot (the same filesystem, so it is swapped in by
    rename): before, it was built in the system temp folder, the old snapshot deleted, then moved across."""
    import dagster as dg

    import lmi_demo.snapshot as snapshot

    project = copy_project(tmp_path, demo_project)
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
    before = {p: p.read_bytes() for p in settings.snapshot_dir.rglob("*") if p.is_file()}
    seen = []

    def fail(*args, **kwargs):
        seen.extend((p, os.stat(p).st_dev) for p in settings.snapshot_dir.parent.glob(f".{settings.snapshot_dir.name}-build-*"))
        raise RuntimeError("the upstream simulator stopped")

    monkeypatch.setattr(dg, "materialize", fail)
    with pytest.raises(RuntimeError, match="simulator stopped"):
        snapshot.build_demo_snapshot(settings)
    assert len(seen) == 1 and seen[0][1] == os.stat(settings.snapshot_dir).st_dev
    assert {p: p.read_bytes() for p in settings.snapshot_dir.rglob("*") if p.is_file()} == before
    assert not seen[0][0].exists()


# -- 3. out of memory ----------------------------------------------------------------------------------------------
def _raise(exc: BaseException):
    def boom(*args, **kwargs):
        raise exc
    return boom


def test_out_of_memory_in_a_step_is_one_line_and_nothing_is_published(baseline, tmp_path, monkeypatch, capsys):
    """Before: 'raw_population: MemoryError: ' (MemoryError carries no message). Now it says what ran out and
    what to do; exit 1; the last publication is unchanged."""
    import lmi_pipeline.sources.nomis_source as nomis_source

    project = copy_project(tmp_path, baseline)
    real = nomis_source.load_nomis_query

    def load_nomis_query(conn, table, *args):  # every Nomis source loads through it: only raw_population fails
        if table == "raw_population":
            raise MemoryError()
        return real(conn, table, *args)

    monkeypatch.setattr(nomis_source, "load_nomis_query", load_nomis_query)
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        code, output = lmi(monkeypatch, capsys, project, server=server)
    assert code == 1 and no_traceback(output), output
    failed = [line for line in output.splitlines() if line.startswith("raw_population:")]
    assert failed == ["raw_population: MemoryError: out of memory: Python could not allocate memory. Nothing was "
                      "published. Configure fewer areas in lmi.toml, close other programs, or run on a machine with "
                      "more memory (a national run peaks at about 1.4 GB; docs/performance.md)."], output
    assert digest(settings) == before and leftovers(settings) == []


def test_out_of_memory_before_the_run_is_one_line(baseline, tmp_path, monkeypatch, capsys):
    """A MemoryError outside any step (here, while planning): a traceback before; now one line, exit 1."""
    import lmi_pipeline.operations.refresh as refresh

    project = copy_project(tmp_path, baseline)
    monkeypatch.setattr(refresh, "plan_refresh", _raise(MemoryError()))
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        code, output = lmi(monkeypatch, capsys, project, server=server)
    assert code == 1 and no_traceback(output), output
    assert output.strip().splitlines() == ["lmi: out of memory: Python could not allocate memory. Nothing was "
                                           "published. Configure fewer areas in lmi.toml, close other programs, or "
                                           "run on a machine with more memory (a national run peaks at about 1.4 GB; "
                                           "docs/performance.md)."], output
    assert digest(settings) == before


def test_duckdb_at_its_memory_limit_says_which_setting_to_raise(baseline, tmp_path, monkeypatch, capsys):
    """A real DuckDB OutOfMemoryException (LMI_DUCKDB_MEMORY_LIMIT far too small): the failed step's line names
    the setting and the alternatives; exit 1; nothing published."""
    project = copy_project(tmp_path, baseline)
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        code, output = lmi(monkeypatch, capsys, project, server=server, LMI_DUCKDB_MEMORY_LIMIT="1MB")
    assert code == 1 and no_traceback(output), output
    failed = [line for line in output.splitlines() if "OutOfMemoryException" in line and not line.startswith("20")]
    assert failed and all("DuckDB reached its memory limit (LMI_DUCKDB_MEMORY_LIMIT" in line and
                          "configure fewer areas" in line for line in failed), output
    assert digest(settings) == before


# -- 4. Ctrl-C --------------------------------------------------------------------------------------------------
def _interrupt(proc, timeout: float = 90) -> int:
    os.kill(proc.pid, signal.SIGINT)
    return proc.wait(timeout)


def _lock_released(settings) -> bool:
    """Released by the run itself (its teardown empties the holder's details), not only by the process ending."""
    path = lock_path(settings.work_dir)
    return running_refresh(settings.work_dir) is None and (not path.exists() or path.read_text() == "")


def _no_run_left_started(home: Path, monkeypatch) -> bool:
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        return all(r.status not in (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING)
                   for r in instance.get_runs())


def test_ctrl_c_during_the_fetch_stops_cleanly_and_publishes_nothing(baseline, tmp_path, monkeypatch):
    """Before: a KeyboardInterrupt traceback, while the run (in a thread of its own) went on, and published.
    Now: one line, exit 130, the lock released by the run, the run marked failed, the publication unchanged,
    and the next `lmi run` succeeds."""
    project = copy_project(tmp_path, baseline)
    home = tmp_path / "dagster-home"
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        server.faults = [Fault(is_data(CC), ("block",), times=1)]  # held until the child is interrupted
        child = lmi_child(settings, home, tmp_path / "interrupted.log", NOMIS_UID=SECRET)
        try:
            wait_for(server.reached.is_set, "the claimant-count download", proc=child)
            code = _interrupt(child)
        finally:
            server.release.set()
            if child.poll() is None:
                child.kill()
        err = child.err.read_text()
        assert code == 130 and no_traceback(err + child.log.read_text()), err[-3000:]
        (line,) = lmi_lines(err)
        assert re.match(r"lmi: interrupted; the last publication is unchanged \(after [\d.]+s, run [0-9a-f-]+\)$",
                        line), err[-3000:]
        assert digest(settings) == before and leftovers(settings) == []
        assert _lock_released(settings) and _no_run_left_started(home, monkeypatch)
        assert not [t for t in _tables(settings.work_db) if t.endswith("__incoming")]  # the load cleaned up
        again = lmi_child(settings, home, tmp_path / "again.log", NOMIS_UID=SECRET)
        assert again.wait(600) == 0, again.err.read_text()[-3000:]
    assert digest(settings) != before and leftovers(settings) == []


def _tables(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return [r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()]


@pytest.mark.parametrize("point,published", [("publish-copy", False), ("publish-moves", True)])
def test_ctrl_c_while_publishing_leaves_one_whole_publication(point, published, baseline, tmp_path, monkeypatch):
    """Interrupted while the database is copied: the half-made copy is removed, the publication unchanged.
    Interrupted after the publication was committed (its first file moved): it is completed before lmi exits,
    so data/lmi.duckdb and assets/ match, and the message says so. Either way exit 130, no traceback, no lock."""
    project = copy_project(tmp_path, baseline)
    home = tmp_path / "dagster-home"
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        child = lmi_child(settings, home, tmp_path / f"{point}.log", pause_at=point, NOMIS_UID=SECRET)
        try:
            wait_for(child.marker.exists, f"the child to pause at {point}", timeout=600, proc=child)
            code = _interrupt(child)
        finally:
            if child.poll() is None:
                child.kill()
    err = child.err.read_text()
    assert code == 130 and no_traceback(err + child.log.read_text()), err[-3000:]
    (line,) = lmi_lines(err)
    assert leftovers(settings) == [] and not (settings.data_dir / JOURNAL_NAME).exists()
    assert _lock_released(settings) and _no_run_left_started(home, monkeypatch)
    if published:
        assert line.startswith("lmi: interrupted while publishing, after the new publication was committed: it was "
                               "completed"), line
        after = digest(settings)
        assert after["data/lmi.duckdb"] != before["data/lmi.duckdb"]
        with duckdb.connect(str(settings.published_db), read_only=True) as conn:
            assert conn.execute("SELECT count(*) FROM ward_indicators").fetchone()[0] > 0
    else:
        assert line.startswith("lmi: interrupted; the last publication is unchanged"), line
        assert digest(settings) == before


def test_ctrl_c_while_the_demo_snapshot_is_built_leaves_no_half_snapshot(tmp_path, monkeypatch):
    """`lmi run` in demo mode builds the snapshot first (its own Dagster run, in a build folder beside the
    snapshot's, on the same filesystem): interrupted there, before: a DagsterExecutionInterruptedError
    traceback; now one line, exit 130, no data/snapshot/, the build folder removed, the lock released."""
    project = make_project(tmp_path)
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
    builds = f".{settings.snapshot_dir.name}-build-*"
    child = lmi_child(settings, tmp_path / "dagster-home", tmp_path / "snapshot.log")
    try:
        wait_for(lambda: any(settings.snapshot_dir.parent.glob(f"{builds}/snapshot/nomis")),
                 "the snapshot build to record", proc=child)
        code = _interrupt(child)
    finally:
        if child.poll() is None:
            child.kill()
    err = child.err.read_text()
    assert code == 130 and no_traceback(err + child.log.read_text()), err[-3000:]
    assert lmi_lines(err) == ["lmi: interrupted; the last publication is unchanged"], err[-3000:]
    assert not settings.snapshot_dir.exists() and not list(settings.snapshot_dir.parent.glob(builds))
    assert _lock_released(settings)


def test_ctrl_c_before_the_run_is_one_line(baseline, tmp_path, monkeypatch, capsys):
    """A Ctrl-C while planning (before any step): one line, exit 130, nothing written."""
    import lmi_pipeline.operations.refresh as refresh

    project = copy_project(tmp_path, baseline)
    monkeypatch.setattr(refresh, "plan_refresh", _raise(KeyboardInterrupt()))
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        code, output = lmi(monkeypatch, capsys, project, server=server)
    assert code == 130 and output.strip() == "lmi: interrupted; the last publication is unchanged", output
    assert digest(settings) == before and _lock_released(settings)


# -- 5. files lmi needs before the run -----------------------------------------------------------------------------
def _areas_a_folder(project: Path) -> None:
    (project / "lmi.toml").unlink()
    (project / "lmi.toml").mkdir()


UNREADABLE = {  # case -> (break the project, the file named, what the message says)
    "lmi-toml-a-folder": (_areas_a_folder, "lmi.toml", r"cannot be read \(Is a directory\)\. The areas file must be"),
    "lmi-toml-not-utf8": (lambda p: (p / "lmi.toml").write_bytes((p / "lmi.toml").read_bytes().replace(
        b"Gensing", b"G\xe9nsing")), "lmi.toml", r"cannot be read \(not UTF-8 text: byte 0xe9 at position \d+\)"),
    "env-not-utf8": (lambda p: (p / ".env").write_bytes(b"NOMIS_UID=\xff\xfe\n"), ".env",
                     r"cannot be read \(not UTF-8 text: byte 0xff at position \d+\)\. It is optional"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_an_unreadable_config_file_is_refused_by_name(case, tmp_path, monkeypatch, capsys):
    """Before: IsADirectoryError / UnicodeDecodeError tracebacks. (Permissions cannot be taken away from root,
    which runs the suite here; a PermissionError takes the same path as IsADirectoryError.)"""
    project = make_project(tmp_path)
    breaker, name, pattern = UNREADABLE[case]
    breaker(project)
    with FaultServer() as server:
        code, output = lmi(monkeypatch, capsys, project, server=server)
        assert server.requests() == []
    assert code == 2 and no_traceback(output), output
    assert output.startswith(f"lmi: {project / name}: ") and re.search(pattern, output), output
    assert len(output.strip().splitlines()) == 1 and not (project / "data").exists()


def _bad_yaml(home: Path) -> None:
    (home / "dagster.yaml").write_text("storage: [sqlite\n")


def _unknown_key(home: Path) -> None:
    (home / "dagster.yaml").write_text("storage:\n  sqlit:\n    base_dir: x\n")


def _damaged_history(home: Path) -> None:
    (home / "dagster.yaml").write_text(f"storage:\n  sqlite:\n    base_dir: {home}/storage\n"
                                       "telemetry:\n  enabled: false\n")
    (home / "storage" / "history").mkdir(parents=True)
    (home / "storage" / "history" / "runs.db").write_bytes(b"not a database" * 100)


def _storage_a_file(home: Path) -> None:
    (home / "dagster.yaml").write_text(f"storage:\n  sqlite:\n    base_dir: {home}/storage\n")
    (home / "storage").write_text("")


BROKEN_INSTANCE = {
    "dagster-yaml-not-yaml": (_bad_yaml, r"ParserError: while parsing a flow sequence"),
    "dagster-yaml-unknown-key": (_unknown_key, r'unexpected config entry "sqlit" at path root:storage\.\)'),
    "run-history-damaged": (_damaged_history, r"DatabaseError: .*file is not a database"),
    "run-history-a-file": (_storage_a_file, r"(NotADirectoryError|FileExistsError)"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_INSTANCE))
def test_a_broken_dagster_instance_is_refused_before_any_request(case, baseline, tmp_path, monkeypatch, capsys):
    """Before: a yaml/Dagster/sqlite traceback. Now exit 2 before any request, saying what to fix or move aside;
    and moving the run history aside, as it says, lets the next run through."""
    project = copy_project(tmp_path, baseline)
    home = tmp_path / "dagster-home"
    home.mkdir()
    breaker, pattern = BROKEN_INSTANCE[case]
    breaker(home)
    with FaultServer() as server:
        settings = server.settings(project)
        before = digest(settings)
        code, output = lmi(monkeypatch, capsys, project, server=server, DAGSTER_HOME=str(home))
        assert server.requests() == []
    assert code == 2 and no_traceback(output) and len(output.strip().splitlines()) == 1, output
    assert output.startswith(f"lmi: the Dagster instance in {home} (DAGSTER_HOME) cannot be opened ("), output
    assert re.search(pattern, output) and "mv .dagster .dagster.broken" in output, output
    assert digest(settings) == before


def test_a_data_folder_that_is_a_file_is_one_line(tmp_path, monkeypatch, capsys):
    """data/ is a file (LMI_DATA_DIR pointing at the wrong thing): before, a NotADirectoryError traceback while
    taking the run lock for the demo snapshot; now one line naming the path, exit 1."""
    project = make_project(tmp_path)
    (project / "data").write_text("not a folder")
    code, output = lmi(monkeypatch, capsys, project)
    assert code == 1 and no_traceback(output), output
    (line,) = lmi_lines(output)
    assert re.fullmatch(re.escape(f"lmi: {project / 'data'}/") + r"[\w./]+: Not a directory\. " + re.escape(
        "Check that the data and assets folders (LMI_DATA_DIR, LMI_ASSETS_DIR) are folders this user can write, "
        "with free space; nothing was published."), line), output


def test_an_upstream_that_is_down_while_planning_says_nothing_was_published(baseline, tmp_path, monkeypatch, capsys):
    """Offline, or every service down, when planning must learn Nomis's latest month: before, only "gave up
    after N attempts"; now also that nothing was fetched or published, and the publication is indeed untouched.
    (With a working database to fall back on, the run goes ahead and keeps every source's last good load.)"""
    project = copy_project(tmp_path, baseline)
    down = Fault(lambda p, a: True, ("respond", 503, {}, b"<html>busy</html>"))  # every service, every request
    with FaultServer(faults=[down]) as server:
        settings = server.settings(project)
        # A lost working database: planning must ask Nomis for the latest month to rebuild it, and cannot.
        settings.work_db.unlink()
        before = digest(settings)
        code, output = lmi(monkeypatch, capsys, project, "refresh", server=server, UPSTREAM_BACKOFF_SECONDS="0")
    assert code == 2 and no_traceback(output), output
    lines = [line for line in output.splitlines() if line.startswith("lmi: ")]
    assert "gave up after" in lines[-2] and f"{CC}" in lines[-2], output
    assert lines[-1] == "lmi: nothing was fetched or published; the last publication is unchanged.", output
    assert digest(settings) == before


def test_every_command_says_what_it_does_and_lmi_has_a_version(capsys):
    for command in ("run", "refresh", "sql", "demo-snapshot"):
        with pytest.raises(SystemExit) as done:
            main([command, "--help"])
        assert done.value.code == 0
        text = capsys.readouterr().out
        assert text.startswith(f"usage: lmi {command}") and "lmi.toml" in text and len(text.split()) > 25, text
    with pytest.raises(SystemExit):
        main(["--version"])
    assert re.fullmatch(r"lmi-pipeline \d+\.\d+\.\d+\n", capsys.readouterr().out)
