"""Shared fixtures: the synthetic upstream behind a real local HTTP server, and project folders in tmp."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from werkzeug import Request as WRequest
from werkzeug import Response as WResponse

from lmi_demo.server import UpstreamSim
from lmi_pipeline.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def sim_handler(sim: UpstreamSim):
    """A pytest-httpserver handler that answers from the synthetic upstream."""

    def handler(request: WRequest) -> WResponse:
        status, ctype, body = sim.handle(request.path, dict(request.args.items()))
        return WResponse(body, status=status, content_type=ctype)

    return handler


@pytest.fixture
def sim() -> UpstreamSim:
    return UpstreamSim()


@pytest.fixture
def upstream(httpserver, sim) -> str:
    """Root URL of a local HTTP server (127.0.0.1) replaying the synthetic Nomis/ONS responses."""
    httpserver.expect_request(re.compile(".*")).respond_with_handler(sim_handler(sim))
    return httpserver.url_for("/").rstrip("/")


# The areas most tests run on: two districts, one of whose ward sets changed in 2023 (Maidstone), so a run
# is quick and still meets a boundary switch. The default lmi.toml (six districts) has tests of its own.
HASTINGS_AND_MAIDSTONE = """
[[local_authority]]
code = "E07000062"
focus_wards = ["Gensing", "Central St Leonards", "Castle"]

[[local_authority]]
code = "E07000110"
focus_wards = ["Park Wood"]
"""


TEST_DISTRICTS = ("E07000062", "E07000110")


def make_project(tmp_path: Path, areas_text: str | None = None) -> Path:
    project = tmp_path / "project"
    project.mkdir(parents=True, exist_ok=True)
    (project / "lmi.toml").write_text(areas_text if areas_text is not None else HASTINGS_AND_MAIDSTONE)
    return project


def live_settings(project: Path, sim: UpstreamSim, root: str, **env: str) -> Settings:
    """Settings for a live run against the local server, with every path inside `project`."""
    return load_settings({"LMI_SOURCE": "live", "LMI_PROJECT_DIR": str(project), "NOMIS_MAX_REQUESTS_PER_SECOND": "0",
                          **sim.base_urls(root), **env})


def fast_resources(settings: Settings, **overrides):
    """The project's resources with a tiny retry back-off, so fault tests run in milliseconds."""
    from lmi_pipeline.defs.resources import build_resources

    resources = build_resources(settings)
    for name in ("nomis", "ons_geo"):
        # A new instance, not model_copy(update=...): Dagster rebuilds a resource from the fields it was
        # constructed with, so values patched in by model_copy would be silently dropped inside a run.
        res = resources[name]
        fields = {k: res.__dict__[k] for k in res.model_fields_set}
        resources[name] = type(res)(**{**fields, "backoff_seconds": 0.01, "max_retries": 3, **overrides})
    return resources


@pytest.fixture
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def copy_tree(src: Path, dest: Path) -> None:
    shutil.copytree(src, dest, dirs_exist_ok=True)


def match(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


def all_assets() -> list:
    from lmi_pipeline.definitions import defs

    return list(defs().assets)


def observe(instance, resources: dict):
    """Run observe_upstream_releases in this process (what `lmi` does first): the upstreams' release stamps
    recorded as observations in `instance`, for plan_refresh to read."""
    from lmi_pipeline.defs.jobs import observe_in_process

    result = observe_in_process(instance, resources)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result


def run_pipeline(settings: Settings, resources: dict | None = None, instance=None, **kwargs):
    """Materialise every asset over the whole claimant history, as `lmi run` does, in a real Dagster run."""
    import dagster as dg

    from lmi_pipeline.definitions import defs
    from lmi_pipeline.geography.areas import load_areas
    from lmi_pipeline.operations.refresh import plan_refresh

    resources = resources or fast_resources(settings)
    definitions = defs()
    instance = instance or dg.DagsterInstance.ephemeral()
    observe(instance, resources)
    plan = plan_refresh(instance, resources["nomis"], load_areas(settings.areas_file).start_month, everything=True,
                        dfe=resources["dfe"], work_db=settings.work_db)
    return dg.materialize(list(definitions.assets) + list(definitions.asset_checks), instance=instance,
                          resources=resources, tags=plan.partition_tags(), **kwargs)
