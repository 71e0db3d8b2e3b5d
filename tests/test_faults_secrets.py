"""The Nomis key (NOMIS_UID) is sent with every Nomis request and written nowhere: not in logs, snapshots,
provenance, exceptions, the Dagster instance or published files, even when the server echoes it back.

`lmi run` runs as a user runs it (the key in the environment), in record mode with every logger at DEBUG,
then once more against a server that refuses every data page, and every byte it left is scanned.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from lmi_pipeline.cli import main
from tests.faults_support import SECRET, Fault, FaultServer, child_env, copy_project, published_baseline


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return published_baseline(tmp_path_factory)


def _echo_key(body: bytes) -> bytes:
    """Nomis-like metadata that repeats the request URI, key and all."""
    doc = json.loads(body)
    doc["uri"] = f"https://www.nomisweb.co.uk/api/v01/dataset/NM_162_1.def.sdmx.json?uid={SECRET}"
    return json.dumps(doc).encode()


def _files_with_secret(*roots: Path) -> list[str]:
    found = []
    for root in roots:
        for path in (p for p in root.rglob("*") if p.is_file()):
            if SECRET.encode() in path.read_bytes():
                found.append(str(path))
    return found


def test_the_key_is_never_written_anywhere(baseline, tmp_path, monkeypatch, capfd):
    project = copy_project(tmp_path, baseline)
    (project / "lmi.toml").write_text('[[local_authority]]\ncode = "E07000062"\nfocus_wards = ["Gensing"]\n'
                                      '[benchmarks]\nareas = ["E10000011", "E92000001"]\n')  # one district: quicker
    home = tmp_path / "dagster-home"
    debug_log = tmp_path / "debug.log"
    faults = [
        Fault(lambda p, a: p.endswith("NM_162_1.def.sdmx.json"), ("mutate", _echo_key)),
        Fault(lambda p, a: p.endswith("NM_2014_1.def.sdmx.json"), ("respond", 503, {}, f"busy: uid={SECRET}".encode()),
              times=1),
    ]
    root = logging.getLogger()
    handler = logging.FileHandler(debug_log)
    old_level = root.level
    with FaultServer(faults=faults) as server:
        settings = server.settings(project)
        monkeypatch.chdir(project)
        for key, value in child_env(settings, home, LMI_SOURCE="record", NOMIS_UID=SECRET).items():
            monkeypatch.setenv(key, value)
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)  # urllib3 prints full URLs at DEBUG
        try:
            recorded = main(["run"])
            # The run's first step meets it (planning does not ask for this), so the error lands in the instance.
            server.faults = [Fault(lambda p, a: p.endswith("NM_2014_1/geography/TYPE.def.sdmx.json"),
                                   ("respond", 429, {"Retry-After": "0"}, f"no: uid={SECRET}".encode()))]
            monkeypatch.setenv("LMI_SOURCE", "live")
            failed = main(["run"])
        finally:
            root.removeHandler(handler)
            root.setLevel(old_level)
            handler.close()
        sent = server.requests(f"uid={SECRET}")
    output = capfd.readouterr()
    (tmp_path / "stdout.txt").write_text(output.out)
    (tmp_path / "stderr.txt").write_text(output.err)

    # The second run's geography request for NM_2014_1 fails for good: that dataset keeps its previous ids
    # (sources/isolation), the run publishes, and the error (key masked) is in the log and the database.
    assert recorded == 0 and failed == 0, output.err[-3000:]
    assert len(sent) > 50  # the key really was in use, on every Nomis request
    assert "geographies not resolved this run (Nomis NM_2014_1 geography types; query http" in output.err
    assert "TYPE.def.sdmx.json?uid=***: gave up after 6 attempts" in output.err  # the query, key masked
    assert "uid=***" in debug_log.read_text()  # urllib3's DEBUG lines were there, masked
    snapshot = settings.snapshot_dir
    assert len(list(snapshot.rglob("*.body"))) > 50 and (home / "storage").exists()  # there was output to scan
    assert _files_with_secret(project, home, tmp_path) == []
    assert not re.search(re.escape(SECRET), output.out + output.err)
