"""A refresh in a child process, for tests/test_faults_crash.py, that can stop at a named point and wait
there (writing LMI_TEST_MARKER) until the test SIGKILLs it or creates LMI_TEST_RELEASE.

With LMI_TEST_SELECT (assets, comma-separated; `name*` adds everything built from it, up to the publish
step) it materialises those assets in the Dagster instance of DAGSTER_HOME, as a materialisation from
the UI would; the rest of the working database is from earlier runs. Without it, it runs `lmi run`.

The pause points are installed here by wrapping pipeline functions, so the pipeline itself carries no
test hook. (Stopping at the fetch needs no wrapping: the test's server holds the request instead.)
    load           every claimant-count page is in the open transaction, not yet committed
    publish-copy   the database copy is written beside data/lmi.duckdb; nothing is moved yet
    publish-moves  the publication is committed (journal) and the first file moved; the database not yet
"""

from __future__ import annotations

import faulthandler
import json
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


def after(module, name: str, point: str, nth: int = 1, only=lambda *args: True) -> None:
    real = getattr(module, name)
    calls = []

    def wrapped(*args, **kwargs):
        out = real(*args, **kwargs)
        if not only(*args):  # another caller of the same function: not the point
            return out
        calls.append(1)
        if len(calls) == nth:
            pause(point)
        return out

    setattr(module, name, wrapped)


if POINT == "load":
    import lmi_pipeline.sources.nomis_source as nomis_source

    after(nomis_source, "load_nomis_query", POINT, only=lambda conn, table, *rest: table == "raw_claimant_count")
elif POINT in ("publish-copy", "publish-moves"):
    import lmi_pipeline.database.publication as publication

    after(publication, "copy_database", POINT) if POINT == "publish-copy" else after(publication, "replace_file", POINT)
elif POINT:
    raise SystemExit(f"unknown LMI_TEST_PAUSE_AT {POINT!r}")

if os.environ.get("LMI_TEST_SELECT"):
    import dagster as dg

    from lmi_pipeline.definitions import defs
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.operations.refresh import RANGE_END
    from lmi_pipeline.settings import load_settings
    from lmi_pipeline.sources.claimant_months import extend_claimant_months

    definitions = defs()
    selection = dg.AssetSelection.assets()
    for name in os.environ["LMI_TEST_SELECT"].split(","):
        one = dg.AssetSelection.assets(name.rstrip("*"))
        selection = selection | (one.downstream() if name.endswith("*") else one)
    tags = json.loads(os.environ["LMI_TEST_TAGS"])
    with dg.DagsterInstance.get() as instance:
        extend_claimant_months(instance, tags[RANGE_END][:7])  # as the run's plan would
        result = dg.materialize(
            list(definitions.assets) + list(definitions.asset_checks), instance=instance, selection=selection,
            resources=build_resources(load_settings()), tags=tags,
            raise_on_error=False)
    sys.exit(0 if result.success else 1)

from lmi_pipeline.cli import main  # noqa: E402 (after the wrapping, which must see the modules first)

sys.exit(main(sys.argv[1:] or ["run"]))
