"""`lmi run` in a child process, for tests/test_faults_crash.py, that can stop at a named point and wait
there (writing LMI_TEST_MARKER) until the test SIGKILLs it or creates LMI_TEST_RELEASE.

The pause points are installed here by wrapping pipeline functions, so the pipeline itself carries no
test hook. (Stopping at the fetch needs no wrapping: the test's server holds the request instead.)
    load           every claimant-count page is in the open transaction, not yet committed
    publish-copy   the database copy is written beside data/lmi.duckdb; nothing is moved yet
    publish-moves  the publication is committed (journal) and the first file moved; the database not yet
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import time
from pathlib import Path

POINT = os.environ.get("LMI_TEST_PAUSE_AT", "")
faulthandler.register(signal.SIGUSR1)  # a test that times out can ask where the child is stuck


def pause(name: str) -> None:
    Path(os.environ["LMI_TEST_MARKER"]).write_text(f"{name} {os.getpid()}")
    release = Path(os.environ.get("LMI_TEST_RELEASE", "/nonexistent"))
    while not release.exists():
        time.sleep(0.05)


def after(module, name: str, point: str, nth: int = 1) -> None:
    real = getattr(module, name)
    calls = []

    def wrapped(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == nth:
            pause(point)
        return out

    setattr(module, name, wrapped)


if POINT == "load":
    import lmi_pipeline.defs.sources.claimant_count as claimant_count

    after(claimant_count, "load_nomis_query", POINT)
elif POINT in ("publish-copy", "publish-moves"):
    import lmi_pipeline.storage as storage

    after(storage, "copy_database", POINT) if POINT == "publish-copy" else after(storage, "replace_file", POINT)
elif POINT:
    raise SystemExit(f"unknown LMI_TEST_PAUSE_AT {POINT!r}")

from lmi_pipeline.cli import main  # noqa: E402 (after the wrapping, which must see the modules first)

sys.exit(main(sys.argv[1:] or ["run"]))
