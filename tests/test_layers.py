"""The code flows one way: geography -> sources -> warehouse -> indicators -> analyses -> publish.

Read from the source text (ast), so a late import inside a function counts as much as one at the top.
A module of the Dagster wiring (`lmi_pipeline/defs/<layer>/`) may import its own layer or an earlier one.
Plain modules (everything outside `defs/`) hold no Dagster wiring, so they never import `defs/` at all, and
follow the same flow: a layer's plain logic (`lmi_pipeline/<layer>/`) imports only its own layer, earlier
ones and the foundation (configuration, clients, DuckDB helpers, metadata and the geography that every
layer needs); the foundation imports no later layer; `operations/` (the run lock, refresh planning, run
records) comes last. Only the entry points (`definitions.py`, `cli.py`) may see the whole graph.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lmi_pipeline"
FLOW = ["geography", "sources", "warehouse", "indicators", "analyses", "publish"]
# Shared wiring every layer may use; it imports no layer itself.
SHARED_WIRING = {"resources", "partitions", "freshness", "column_schema"}
# Wiring that spans the graph (checks read several layers; jobs and schedules select all of them).
WHOLE_GRAPH = {"checks", "jobs", "schedules", "sensors", "automation"}
ENTRY_POINTS = {"definitions", "cli"}
# Plain packages after the foundation, in flow order (geography's plain logic is part of the foundation).
PLAIN_FLOW = ["sources", "warehouse", "indicators", "analyses", "publish", "operations"]


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module in ("lmi_pipeline", "lmi_pipeline.defs"):  # `from lmi_pipeline.defs import sources`
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.split(".")[0] == "lmi_pipeline"}


def _place(module: str) -> tuple[str, str | None]:
    """('defs', layer or shared/whole-graph name), ('entry', name) or ('plain', its plain layer or None for
    the foundation)."""
    parts = module.split(".")[1:]
    if parts and parts[0] == "defs":
        return ("defs", parts[1] if len(parts) > 1 else None)
    if parts and parts[0] in ENTRY_POINTS:
        return ("entry", parts[0])
    return ("plain", parts[0] if parts and parts[0] in PLAIN_FLOW else None)


def _plain_rank(where: str | None) -> int:
    return -1 if where is None else PLAIN_FLOW.index(where)


def _problems(path: Path, package: Path = PACKAGE) -> list[str]:
    relative = path.relative_to(package.parent).with_suffix("")
    module = ".".join(relative.parts).removesuffix(".__init__")
    kind, where = _place(module)
    problems = []
    for target in sorted(_imported(path)):
        target_kind, target_where = _place(target)
        if kind == "entry":
            continue
        if kind == "plain" and target_kind != "plain":
            problems.append(f"{module} is a plain module but imports {target}")
        elif kind == "plain" and _plain_rank(target_where) > _plain_rank(where):
            problems.append(f"{module} ({where or 'foundation'}) imports {target} from the later layer {target_where}")
        elif kind == "defs" and target_kind == "entry":
            problems.append(f"{module} imports the entry point {target}")
        elif kind == "defs" and target_kind == "defs" and target_where is not None:
            problems.extend(_layer_problem(module, where, target, target_where))
    return problems


def _layer_problem(module: str, where: str | None, target: str, target_where: str) -> list[str]:
    if where in WHOLE_GRAPH or where == target_where or target_where in SHARED_WIRING:
        return []
    if where in SHARED_WIRING or where is None:
        return [f"{module} is shared wiring but imports the layer module {target}"]
    if target_where in WHOLE_GRAPH:
        return [f"{module} imports {target}, which spans the whole graph"]
    if where in FLOW and target_where in FLOW and FLOW.index(target_where) > FLOW.index(where):
        return [f"{module} ({where}) imports {target} from the later layer {target_where}"]
    return []


def test_every_layer_module_is_known():
    layers = {p.name for p in (PACKAGE / "defs").iterdir() if p.is_dir() and p.name != "__pycache__"}
    files = {p.stem for p in (PACKAGE / "defs").glob("*.py")} - {"__init__"}
    assert layers <= set(FLOW), f"a defs/ folder that is not a layer of the flow: {layers - set(FLOW)}"
    assert files <= SHARED_WIRING | WHOLE_GRAPH, f"unclassified defs modules: {files - SHARED_WIRING - WHOLE_GRAPH}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_no_module_imports_from_a_later_layer(path):
    assert _problems(path) == []


def _imports_demo(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
            [a.name for a in node.names] if isinstance(node, ast.Import) else [])
        if any(n.split(".")[0] == "lmi_demo" for n in names):
            return True
    return False


def test_the_demo_emulator_stays_apart():
    """lmi_demo (the synthetic upstream) is reached only from the CLI, which builds the demo snapshot."""
    assert [str(p.relative_to(PACKAGE.parent)) for p in _modules() if _imports_demo(p)] == ["lmi_pipeline/cli.py"]


def test_the_check_sees_a_backward_import(tmp_path):
    """The rule itself can fail: a geography asset importing a sources module, a plain module importing the
    wiring, a layer's plain logic importing a later layer's, and the foundation importing a layer are all
    reported."""
    fake = tmp_path / "lmi_pipeline"
    for folder in ("defs/geography", "database", "sources"):
        (fake / folder).mkdir(parents=True)
    backward = fake / "defs" / "geography" / "x.py"
    backward.write_text("def f():\n    from lmi_pipeline.defs.sources.request_log import log_requests\n")
    plain = fake / "database" / "storage.py"
    plain.write_text("from lmi_pipeline.defs import resources\n")
    sources = fake / "sources" / "y.py"
    sources.write_text("from lmi_pipeline.publish.publication_history import history_problems\n"
                       "from lmi_pipeline.geography.areas import AreasConfig\n")
    foundation = fake / "project.py"
    foundation.write_text("from lmi_pipeline.sources.upstream import UPSTREAMS\n")
    assert _problems(backward, fake) == ["lmi_pipeline.defs.geography.x (geography) imports "
                                         "lmi_pipeline.defs.sources.request_log from the later layer sources"]
    assert _problems(plain, fake) == ["lmi_pipeline.database.storage is a plain module but imports lmi_pipeline.defs",
                                      "lmi_pipeline.database.storage is a plain module but imports lmi_pipeline.defs.resources"]
    assert _problems(sources, fake) == ["lmi_pipeline.sources.y (sources) imports "
                                        "lmi_pipeline.publish.publication_history from the later layer publish"]
    assert _problems(foundation, fake) == ["lmi_pipeline.project (foundation) imports lmi_pipeline.sources.upstream "
                                           "from the later layer sources"]
