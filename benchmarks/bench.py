"""National-scale benchmark: the pipeline against an independent DuckDB floor, and how cost grows with area.

    python -m benchmarks.bench [--scales la,county,region,national] [--repeat 3] [--workdir /tmp/lmi-bench]
                               [--out FILE] [--reuse] [--orchestration-floor]

For each scale it (1) generates the synthetic upstream for that many wards with the demo generator and
records every response the pipeline asks for (untimed), (2) serves the recording from a local HTTP
server on 127.0.0.1 with real 25,000-row pages, (3) runs the real pipeline stages as real Dagster runs,
each in its own process (ingest = fetch + parse + load of the claimant count; transform = the warehouse
and indicator SQL up to ward_indicators; publish), from clean data each time, alternating with (4) the
independent floor (benchmarks/floor.py): plain DuckDB SQL, written apart from the project's, that reads
the same recorded pages with read_csv and computes the same claimant-count ward_indicators, in its own
process; N repetitions of each (--repeat), reported as min and median per stage with peak RSS. (5) The
floor's ward_indicators are compared with the pipeline's (EXCEPT both ways), and (6) a nightly refresh
when nothing is new upstream is timed. With --orchestration-floor it also runs, once, the old floor: the
project's own SQL and publish without Dagster, which measures orchestration overhead only. Results print
as Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

# Real areas of the bundled ONS geography: a district, a county, a region, and every district of England and Wales.
SCALES = {"la": 'districts = ["E07000062"]', "county": 'counties = ["E10000016"]', "region": 'regions = ["E12000008"]',
          "national": 'regions = [' + ", ".join(f'"{c}"' for c in (
              "E12000001", "E12000002", "E12000003", "E12000004", "E12000005", "E12000006", "E12000007", "E12000008",
              "E12000009", "W92000004")) + "]"}
ROOT = Path(__file__).resolve().parents[1]


def prepare(scale: str, workdir: Path, areas: str | None = None) -> dict:
    """Generate and record the upstream for a scale (untimed), or for `areas` (lmi.toml text) if given.
    Returns facts about the response set."""
    import dagster as dg

    from lmi_demo.server import UpstreamSim, serve
    from lmi_demo.world import World
    from lmi_pipeline.definitions import defs
    from lmi_pipeline.defs.jobs import observe_in_process
    from lmi_pipeline.defs.resources import build_resources
    from lmi_pipeline.geography.areas import load_areas
    from lmi_pipeline.operations.refresh import plan_refresh
    from lmi_pipeline.settings import load_settings

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    (workdir / "lmi.toml").write_text((areas or SCALES[scale]) + "\n")
    world = World.for_districts(load_areas(workdir / "lmi.toml").lad_codes)
    sim = UpstreamSim(world)
    started = time.perf_counter()
    with serve(sim) as root:
        settings = load_settings({"LMI_SOURCE": "record", "LMI_PROJECT_DIR": str(workdir), **sim.base_urls(root),
                                  "NOMIS_MAX_REQUESTS_PER_SECOND": "0",
                                  "LMI_DATA_DIR": str(workdir / "record-data")})
        resources = build_resources(settings, record_origin="synthetic")
        definitions = defs()
        with dg.DagsterInstance.ephemeral() as instance:
            observe_in_process(instance, resources, raise_on_error=True)  # what `lmi run` asks first
            plan = plan_refresh(instance, resources["nomis"], load_areas(settings.areas_file).start_month,
                                everything=True, dfe=resources["dfe"])
            sources = dg.AssetSelection.groups("sources")
            dg.materialize(list(definitions.assets), selection=sources | sources.upstream(), instance=instance,
                           resources=resources, tags=plan.partition_tags())
    (workdir / "range.json").write_text(json.dumps(plan.partition_tags()))
    pages = sorted(str(p) for p in (settings.snapshot_dir / "nomis" / "dataset_NM_162_1.data.csv").glob("*.body")
                   if b"date=latest" not in p.with_suffix(".json").read_bytes())
    (workdir / "pages.json").write_text(json.dumps(pages))
    shutil.move(str(settings.snapshot_dir), workdir / "snapshot")
    shutil.rmtree(workdir / "record-data", ignore_errors=True)
    pages = [str(workdir / "snapshot" / Path(p).relative_to(settings.snapshot_dir)) for p in pages]
    (workdir / "pages.json").write_text(json.dumps(pages))
    return {"wards": len(world.wards), "districts": sum(a.level == "lad" for a in world.areas), "pages": len(pages),
            "csv_mb": sum(Path(p).stat().st_size for p in pages) / 1e6, "generate_s": time.perf_counter() - started}


def _stage(*args: str) -> dict:
    env = {**os.environ, "DAGSTER_HOME": str(Path(args[1]) / "home")}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.stage", *args], cwd=ROOT, capture_output=True, text=True,
                          env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"stage {args[:1]} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _floor(workdir: Path) -> dict:
    """The independent floor (benchmarks/floor.py) in its own process, so its peak RSS is its own."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.floor", str(workdir), "--memory-limit", memory_limit(),
                           "--threads", "2"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"floor failed:\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = time.perf_counter() - started
    return out


# Pipeline assets on the claimant-count path to ward_indicators (the rest of the transform is other sources').
CLAIMANT_PATH = ("claimant_count", "population", "area_indicators", "ward_indicators")


class StageFailed(RuntimeError):
    """A pipeline stage failed; `run` holds the stages that had finished."""

    def __init__(self, stage: str, message: str, run: dict):
        super().__init__(f"{stage}: {message}")
        self.stage, self.message, self.run = stage, message, run


def _last_error(text: str) -> str:
    """The exception line of a traceback (the last line naming an Error or Exception), else its last line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    found = [line for line in lines if ("Error" in line or "Exception" in line) and ":" in line
             and not line.startswith("File ")]
    return (found or lines or ["?"])[-1]


def pipeline_once(workdir: Path, log, prerequisites: list[str], transform: list[str]) -> dict:
    """One clean pipeline run, stage by stage: prerequisites (untimed), ingest, transform, publish. A failed
    stage raises StageFailed with the stages that finished."""
    for leftover in ("data", "assets", "home"):
        shutil.rmtree(workdir / leftover, ignore_errors=True)
    (workdir / "home").mkdir()
    run: dict = {}
    try:
        _pipeline_stages_into(run, workdir, log, prerequisites, transform)
    except RuntimeError as exc:
        stage = next(s for s in ("prerequisites", "ingest", "transform", "publish") if s not in run)
        raise StageFailed(stage, _last_error(str(exc)), run) from None
    return run


def _pipeline_stages_into(run: dict, workdir: Path, log, prerequisites: list[str], transform: list[str]) -> None:
    run["prerequisites"] = _stage("pipeline", str(workdir), *prerequisites)
    n = len(log.requests)
    run["ingest"] = _stage("pipeline", str(workdir), "raw_claimant_count")
    run["ingest"]["requests"] = len(log.requests) - n
    run["transform"] = _stage("pipeline", str(workdir), *transform)
    run["publish"] = _stage("pipeline", str(workdir), "published_database")
    published = workdir / "data" / "lmi.duckdb"
    run["published_mb"] = published.stat().st_size / 1e6 if published.exists() else None


def pipeline_assets() -> tuple[list[str], list[str], list[str]]:
    """(prerequisites, transform, geography) asset keys: the geography layer and the sources other than the
    claimant count (run untimed before the ingest); every warehouse and indicator asset; the geography layer."""
    from lmi_pipeline.definitions import defs

    groups = {s.key.to_user_string(): s.group_name for s in defs().resolve_all_asset_specs()}
    prerequisites = [k for k, g in groups.items() if g == "geography" or (g == "sources" and k != "raw_claimant_count")]
    transform = [k for k, g in groups.items() if g in ("warehouse", "indicators") and k not in prerequisites]
    return prerequisites, transform, [k for k, g in groups.items() if g == "geography"]


@contextmanager
def replay(workdir: Path):
    """Serve the recording on 127.0.0.1 and point the stages at it (env.json); yields the server's log."""
    from benchmarks.replay_server import serve_snapshot

    with serve_snapshot(workdir / "snapshot") as (root, log):
        # No polite pacing against the local server: the floor has no network either (see docs/performance.md).
        env = {"LMI_SOURCE": "live", "NOMIS_MAX_REQUESTS_PER_SECOND": "0", "NOMIS_BASE_URL": f"{root}/nomis/api/v01",
               "ONS_GEO_BASE_URL": f"{root}/ons/arcgis/rest/services", "DFE_BASE_URL": f"{root}/dfe/statistics/v1",
               # The recorded File 7 is the synthetic one, for the world's LSOAs only: no national row count.
               "MHCLG_BASE_URL": f"{root}/mhclg", "MHCLG_EXPECTED_LSOAS": "0",
               "LMI_DUCKDB_MEMORY_LIMIT": memory_limit()}
        (workdir / "env.json").write_text(json.dumps(env))
        yield log


def measure(scale: str, workdir: Path, repeat: int = 3, orchestration_floor: bool = False) -> dict:
    """`repeat` clean pipeline runs alternating with `repeat` floor runs on the same recorded pages; then the
    floor's ward_indicators compared with the pipeline's, and a nightly refresh with nothing new."""
    from benchmarks.floor import compare

    prerequisites, transform, geography = pipeline_assets()
    results: dict = {"geography": geography, "runs": [], "floor": []}
    with replay(workdir) as log:
        for i in range(repeat):  # alternating, so drift on a shared machine falls on both alike
            if "pipeline_failed" not in results:
                print(f"[{scale}] run {i + 1}/{repeat}: pipeline ...", file=sys.stderr, flush=True)
                try:
                    results["runs"].append(pipeline_once(workdir, log, prerequisites, transform))
                except StageFailed as exc:  # reported, and the floor still measured; the next scale goes on
                    print(f"[{scale}] pipeline FAILED in {exc}", file=sys.stderr, flush=True)
                    results["pipeline_failed"] = {"stage": exc.stage, "message": exc.message, "partial": exc.run}
            print(f"[{scale}] run {i + 1}/{repeat}: floor ...", file=sys.stderr, flush=True)
            results["floor"].append(_floor(workdir))
        if "pipeline_failed" in results:
            return results
        results["comparison"] = compare(workdir / "data" / "lmi.duckdb", Path(results["floor"][-1]["published"]))
        if orchestration_floor:
            results["orchestration_floor"] = _stage("orchestration-floor", str(workdir))
        n = len(log.requests)
        results["noop"] = _stage("noop", str(workdir))
        results["noop"]["server_requests"] = len(log.requests) - n
    return results


def memory_limit() -> str:
    """DuckDB's cap for the pipeline and the floor alike (the default unless LMI_DUCKDB_MEMORY_LIMIT is set)."""
    from lmi_pipeline.settings import DEFAULT_DUCKDB_MEMORY_LIMIT

    return os.environ.get("LMI_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT


def _fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def _pipeline_stages(run: dict, geography: list[str]) -> dict:
    """One pipeline run's seconds per stage (Dagster step durations) and its processes' peak RSS."""
    ing, tr, pub, pre = run["ingest"], run["transform"], run["publish"], run["prerequisites"]
    out = {"read": ing["steps"].get("raw_claimant_count", ing["wall"]),
           "transform": tr["asset_seconds"],
           "claimant_path": sum(tr["steps"].get(a, 0) for a in CLAIMANT_PATH),
           "publish": pub["steps"].get("published_database", pub["wall"]),
           "reference": pre["steps"].get("raw_population", 0) + sum(pre["steps"].get(a, 0) for a in geography),
           "checks": tr["check_seconds"],
           "wall": ing["wall"] + tr["wall"] + pub["wall"],
           "read_rss": ing["peak_rss_mb"], "transform_rss": tr["peak_rss_mb"], "publish_rss": pub["peak_rss_mb"]}
    out["total"] = out["read"] + out["transform"] + out["publish"]
    return out


def _floor_stages(fl: dict) -> dict:
    return {"read": fl["read"], "transform": fl["transform"], "publish": fl["publish"],
            "total": fl["read"] + fl["transform"] + fl["publish"], "reference": fl["read_reference"],
            "wall": fl["wall"], "read_rss": fl["read_peak_rss_mb"], "transform_rss": fl["transform_peak_rss_mb"],
            "publish_rss": fl["peak_rss_mb"]}


def _stats(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def report(facts: dict, results: dict) -> str:
    from benchmarks.floor import COMPARED

    lines = []
    for scale, r in results.items():
        f = facts[scale]
        if not r["runs"]:
            lines.extend(_failed_section(scale, f, r))
            continue
        runs = [_pipeline_stages(run, r["geography"]) for run in r["runs"]]
        floors = [_floor_stages(fl) for fl in r["floor"]]
        last = r["runs"][-1]
        meta = last["ingest"]["metadata"].get("raw_claimant_count", {})
        rows = meta.get("dagster/row_count", r["floor"][-1]["rows"])
        n = len(runs)
        lines.append(f"### {scale}: {f['districts']} district(s), {f['wards']:,} wards, {rows:,} claimant rows, "
                     f"{f['pages']} pages, {_fmt(f['csv_mb'])} MB of CSV\n")
        lines.append(f"Pipeline and independent floor, {n} run(s) each, alternating; seconds as min / median. "
                     "Peak RSS: the pipeline stage's own process; the floor's one process up to the end of that stage.\n")
        lines.append("| stage | pipeline min | pipeline median | floor min | floor median | pipeline / floor (median) "
                     "| pipeline peak RSS (MB) | floor peak RSS (MB) |")
        lines.append("|---|---|---|---|---|---|---|---|")

        def row(label: str, key: str, rss: str | None = None, floor: bool = True) -> None:
            pmin, pmed = _stats([x[key] for x in runs])
            cells = [label, _fmt(pmin, 2), _fmt(pmed, 2)]
            if floor:
                fmin, fmed = _stats([x[key] for x in floors])
                cells += [_fmt(fmin, 2), _fmt(fmed, 2), f"{_fmt(pmed / fmed, 2)}x" if fmed else ""]
            else:
                cells += ["", "", ""]
            if rss:
                cells += [_fmt(max(x[rss] for x in runs), 0), _fmt(max(x[rss] for x in floors), 0) if floor else ""]
            else:
                cells += ["", ""]
            lines.append("| " + " | ".join(cells) + " |")

        row("**read / ingest** (claimant pages into DuckDB)", "read", "read_rss")
        row("**transform** (to ward_indicators; pipeline: every warehouse and indicator asset)", "transform",
            "transform_rss")
        row("of which the claimant path (claimant_count, population, area_indicators, ward_indicators)",
            "claimant_path", floor=False)
        row("**publish** (a DuckDB 1.4 file, atomic rename)", "publish", "publish_rss")
        row("**total** (read + transform + publish)", "total")
        row("population + geography read (pipeline: raw_population and every geography-group asset, untimed prerequisites before; not in the total)",
            "reference")
        row("quality checks (blocking; no floor counterpart; not in the total)", "checks", floor=False)
        row("process wall, including start-up (pipeline: its three stage processes)", "wall")
        c = r["comparison"]
        verdict = "**agree**" if c["agree"] else "**DISAGREE**"
        lines.append(f"\nFloor against pipeline `ward_indicators` (the last run of each), set-wise on "
                     f"{', '.join(COMPARED)}: {verdict}; {c['p_rows']:,} pipeline rows, {c['f_rows']:,} floor rows, "
                     f"indicators {', '.join(c['p_indicators'])}; rows only in the pipeline {c['only_in_pipeline']:,}, "
                     f"only in the floor {c['only_in_floor']:,}.")
        if not c["agree"]:
            lines.append(f"First rows only in the pipeline: {c['only_in_pipeline_sample']}; only in the floor: "
                         f"{c['only_in_floor_sample']}.")
        fl = r["floor"][-1]
        pub_mb = last.get("published_mb")
        lines.append(f"The floor publishes ward_indicators alone ({_fmt(fl['published_mb'])} MB); the pipeline publishes "
                     "its whole working database (every source, mart, catalogue and provenance table)"
                     + (f" ({_fmt(pub_mb)} MB)" if pub_mb else "") + ".")
        if "orchestration_floor" in r:
            o = r["orchestration_floor"]
            lines.append(f"\nOrchestration floor (project SQL without Dagster; measures orchestration overhead only, "
                         f"one run): read {_fmt(o['ingest'], 2)} s, transform {_fmt(o['transform'], 2)} s, publish "
                         f"{_fmt(o['publish'], 2)} s, peak RSS {_fmt(o['peak_rss_mb'], 0)} MB.")
        no = r["noop"]
        lines.append(f"\nNightly refresh with nothing new: {_fmt(no['wall'], 2)} s in-process "
                     f"({no['requests']} requests, {no['server_requests']} seen by the server; "
                     f"nothing_to_do={no['nothing_to_do']}). Ingest made {last['ingest'].get('requests', '?')} HTTP "
                     "requests.\n")
    lines.append("### Scaling (medians)\n")
    lines.append("| scale | wards | claimant rows | pipeline read (s) | pipeline transform (s) | pipeline publish (s) | "
                 "floor read (s) | floor transform (s) | floor publish (s) | pipeline / floor total | "
                 "pipeline peak RSS (MB) | floor peak RSS (MB) |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for scale, r in results.items():
        if not r["runs"]:
            lines.append(f"| {scale} | {facts[scale]['wards']:,} | {r['floor'][-1]['rows']:,} | pipeline failed | | | "
                         + " | ".join(_fmt(statistics.median(fl[k] for fl in r["floor"]), 2)
                                      for k in ("read", "transform", "publish"))
                         + f" | | | {_fmt(max(fl['peak_rss_mb'] for fl in r['floor']), 0)} |")
            continue
        runs = [_pipeline_stages(run, r["geography"]) for run in r["runs"]]
        floors = [_floor_stages(fl) for fl in r["floor"]]
        med = lambda xs, k: statistics.median(x[k] for x in xs)  # noqa: E731
        meta = r["runs"][-1]["ingest"]["metadata"].get("raw_claimant_count", {})
        rows = meta.get("dagster/row_count", r["floor"][-1]["rows"])
        lines.append(f"| {scale} | {facts[scale]['wards']:,} | {rows:,} | {_fmt(med(runs, 'read'), 2)} | "
                     f"{_fmt(med(runs, 'transform'), 2)} | {_fmt(med(runs, 'publish'), 2)} | "
                     f"{_fmt(med(floors, 'read'), 2)} | {_fmt(med(floors, 'transform'), 2)} | "
                     f"{_fmt(med(floors, 'publish'), 2)} | {_fmt(med(runs, 'total') / med(floors, 'total'), 2)}x | "
                     f"{_fmt(max(max(x['read_rss'], x['transform_rss'], x['publish_rss']) for x in runs), 0)} | "
                     f"{_fmt(max(x['publish_rss'] for x in floors), 0)} |")
    return "\n".join(lines)


def _failed_section(scale: str, f: dict, r: dict) -> list[str]:
    """A scale where the pipeline failed: what failed, the stages that finished, and the floor alone."""
    failed = r["pipeline_failed"]
    floors = [_floor_stages(fl) for fl in r["floor"]]
    lines = [f"### {scale}: {f['districts']} district(s), {f['wards']:,} wards, {r['floor'][-1]['rows']:,} claimant rows, "
             f"{f['pages']} pages, {_fmt(f['csv_mb'])} MB of CSV\n",
             f"**The pipeline failed** in its {failed['stage']} stage: `{failed['message']}`. No pipeline / floor "
             "ratio and no comparison at this scale.\n"]
    done = failed["partial"]
    if "ingest" in done:
        lines.append(f"Pipeline stages that finished: ingest (raw_claimant_count) "
                     f"{_fmt(done['ingest']['steps'].get('raw_claimant_count', done['ingest']['wall']), 2)} s, "
                     f"peak RSS {_fmt(done['ingest']['peak_rss_mb'], 0)} MB.\n")
    lines.append(f"| floor stage | min (s) | median (s) | peak RSS (MB) |")
    lines.append("|---|---|---|---|")
    for label, key, rss in (("read", "read", "read_rss"), ("transform", "transform", "transform_rss"),
                            ("publish", "publish", "publish_rss"), ("total", "total", None),
                            ("population + geography read", "reference", None), ("process wall", "wall", None)):
        lo, med = _stats([x[key] for x in floors])
        lines.append(f"| {label} | {_fmt(lo, 2)} | {_fmt(med, 2)} | {_fmt(max(x[rss] for x in floors), 0) if rss else ''} |")
    lines.append("")
    return lines


DOC_TEMPLATE = ROOT / "benchmarks" / "performance.template.md"


def targets(facts: dict, results: dict) -> str:
    """The issue's targets against the largest scale measured (national in `make bench`)."""
    scale = list(results)[-1]
    r = results[scale]
    if not r["runs"]:
        return f"The pipeline failed at {scale} scale ({r['pipeline_failed']['stage']}); no target can be judged."
    runs = [_pipeline_stages(run, r["geography"]) for run in r["runs"]]
    floors = [_floor_stages(fl) for fl in r["floor"]]
    med = lambda xs, k: statistics.median(x[k] for x in xs)  # noqa: E731
    floor_total = med(floors, "total")
    whole = med(runs, "total") / floor_total
    like = statistics.median(x["read"] + x["claimant_path"] + x["publish"] for x in runs) / floor_total
    rss = max(max(x["read_rss"], x["transform_rss"], x["publish_rss"]) for x in runs)
    no = r["noop"]
    verdict = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    return "\n".join([
        f"At **{scale}** scale ({facts[scale]['wards']:,} wards), medians of {len(runs)} alternating runs each:\n",
        "| target | measured | |", "|---|---|---|",
        f"| ingest + transform + publish within 2x of the independent floor (goal 1.5x), every warehouse and "
        f"indicator asset counted | **{whole:.2f}x** ({med(runs, 'total'):.1f} s against {floor_total:.1f} s) | "
        f"{verdict(whole <= 2)} |",
        f"| the same, like for like: the claimant path only (ingest, then claimant_count, population, "
        f"area_indicators and ward_indicators, then publish), the floor's own scope | **{like:.2f}x** | "
        f"{verdict(like <= 2)} |",
        f"| peak RSS under 2 GiB (every pipeline stage's process) | **{rss:,.0f} MB** | {verdict(rss < 2048)} |",
        f"| nightly refresh with nothing new: under 30 s, a handful of small requests | **{no['wall']:.1f} s, "
        f"{no['server_requests']} requests** | {verdict(no['wall'] < 30)} |",
        f"| the floor computes the same ward_indicators (EXCEPT both ways) | "
        f"**{'agree' if r['comparison']['agree'] else 'DISAGREE'}** on {r['comparison']['p_rows']:,} rows | |",
    ])


def render_doc(facts: dict, results: dict, extras: dict) -> str:
    """docs/performance.md: the template's prose with this run's measurements filled in."""
    fill = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "targets": targets(facts, results),
            "results": report(facts, results), "repeat": str(len(next(iter(results.values()))["floor"])),
            **extras}
    text = DOC_TEMPLATE.read_text(encoding="utf-8")
    for key, value in fill.items():
        text = text.replace("{{" + key + "}}", value)
    return text


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = next((int(l.split()[1]) / 1024 / 1024 for l in Path("/proc/meminfo").read_text().splitlines()
                if l.startswith("MemTotal")), 0)
    import duckdb
    import pyarrow
    return (f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM, {platform.platform()}, Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__} (memory_limit {memory_limit()} for pipeline and floor alike), "
            f"pyarrow {pyarrow.__version__}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="la,county,region,national")
    parser.add_argument("--workdir", default="/tmp/lmi-bench", type=Path)
    parser.add_argument("--out", type=Path, help="also write the Markdown report here")
    parser.add_argument("--repeat", type=int, default=3,
                        help="clean pipeline runs and floor runs per scale, alternating (min and median reported)")
    parser.add_argument("--orchestration-floor", action="store_true",
                        help="also run the project's own SQL without Dagster once (orchestration overhead only)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure again on a response set an earlier run generated (skip generating)")
    parser.add_argument("--doc", type=Path, help="write the performance page (docs/performance.md) from "
                        "benchmarks/performance.template.md, with the ingest costs and transform profile of the "
                        "last scale")
    args = parser.parse_args()
    facts, results = {}, {}
    for scale in args.scales.split(","):
        workdir = args.workdir / scale
        saved = args.workdir / f"{scale}.json"
        if args.reuse and saved.exists() and (workdir / "pages.json").exists():
            facts[scale] = json.loads(saved.read_text())["facts"]
        else:
            print(f"[{scale}] generating and recording the synthetic upstream ...", file=sys.stderr, flush=True)
            facts[scale] = prepare(scale, workdir)
            saved.write_text(json.dumps({"facts": facts[scale]}, indent=1))
        print(f"[{scale}] {facts[scale]}", file=sys.stderr, flush=True)
        print(f"[{scale}] measuring ...", file=sys.stderr, flush=True)
        results[scale] = measure(scale, workdir, args.repeat, args.orchestration_floor)
        saved.write_text(json.dumps({"facts": facts[scale], "results": results[scale]}, indent=1, default=str))
    text = f"Machine: {machine()}\n\n" + report(facts, results)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if args.doc:
        last = args.workdir / list(results)[-1]
        print(f"[{last.name}] ingest costs and transform profile ...", file=sys.stderr, flush=True)
        extras = {"ingest_costs": _module("benchmarks.ingest_costs", last, "--memory-limit", memory_limit()),
                  "transform_profile": _module("benchmarks.profile_transform", last, "--memory-limit", memory_limit()),
                  "scale": last.name}
        args.doc.write_text(render_doc(facts, results, extras), encoding="utf-8")
        print(f"wrote {args.doc}", file=sys.stderr)


def _module(name: str, *args) -> str:
    """A benchmark module's Markdown output, run in its own process (its lines before any JSON line)."""
    proc = subprocess.run([sys.executable, "-m", name, *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{proc.stderr[-4000:]}")
    return "\n".join(line for line in proc.stdout.strip().splitlines() if not line.startswith("{"))


if __name__ == "__main__":
    main()
