"""National-scale benchmark: the pipeline against DuckDB's own floor, and how cost grows with area.

    python -m benchmarks.bench [--scales la,county,region,national] [--workdir /tmp/lmi-bench] [--out FILE]

For each scale it (1) generates the synthetic upstream for that many wards with the demo generator and
records every response the pipeline asks for (untimed), (2) serves the recording from a local HTTP
server on 127.0.0.1 with real 25,000-row pages, (3) runs the real pipeline stages as real Dagster runs,
each in its own process (ingest = fetch + parse + load of the claimant count; transform = the warehouse
and indicator SQL up to ward_indicators; publish), (4) runs the floor in the same way on the same
machine: DuckDB's read_csv of the same page files and the same SQL with no pipeline around it, and
(5) times a nightly refresh when nothing is new upstream. Results print as Markdown tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

# Real areas of the bundled ONS geography: a district, a county, a region, and every district of England and Wales.
SCALES = {"la": 'districts = ["E07000062"]', "county": 'counties = ["E10000016"]', "region": 'regions = ["E12000008"]',
          "national": 'regions = [' + ", ".join(f'"{c}"' for c in (
              "E12000001", "E12000002", "E12000003", "E12000004", "E12000005", "E12000006", "E12000007", "E12000008",
              "E12000009", "W92000004")) + "]"}
ROOT = Path(__file__).resolve().parents[1]


def prepare(scale: str, workdir: Path) -> dict:
    """Generate and record the upstream for a scale (untimed). Returns facts about the response set."""
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
    (workdir / "lmi.toml").write_text(SCALES[scale] + "\n")
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


def measure(scale: str, workdir: Path) -> dict:
    from benchmarks.replay_server import serve_snapshot
    from lmi_pipeline.definitions import defs

    groups = {s.key.to_user_string(): s.group_name for s in defs().resolve_all_asset_specs()}
    # The geography layer, and the sources other than the claimant count.
    prerequisites = [k for k, g in groups.items() if g == "geography" or (g == "sources" and k != "raw_claimant_count")]
    transform = [k for k, g in groups.items() if g in ("warehouse", "indicators") and k not in prerequisites]
    results: dict = {}
    with serve_snapshot(workdir / "snapshot") as (root, log):
        # No polite pacing against the local server: the floor has no network either (see `report`).
        env = {"LMI_SOURCE": "live", "NOMIS_MAX_REQUESTS_PER_SECOND": "0", "NOMIS_BASE_URL": f"{root}/nomis/api/v01",
               "ONS_GEO_BASE_URL": f"{root}/ons/arcgis/rest/services", "DFE_BASE_URL": f"{root}/dfe/statistics/v1",
               "LMI_DUCKDB_MEMORY_LIMIT": memory_limit()}
        (workdir / "env.json").write_text(json.dumps(env))
        for leftover in ("data", "assets", "home"):
            shutil.rmtree(workdir / leftover, ignore_errors=True)
        (workdir / "home").mkdir()
        results["prerequisites"] = _stage("pipeline", str(workdir), *prerequisites)
        n = len(log.requests)
        results["ingest"] = _stage("pipeline", str(workdir), "raw_claimant_count")
        results["ingest"]["requests"] = len(log.requests) - n
        results["transform"] = _stage("pipeline", str(workdir), *transform)
        results["publish"] = _stage("pipeline", str(workdir), "published_database")
        results["floor"] = _stage("floor", str(workdir))
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


def report(facts: dict, results: dict) -> str:
    lines = []
    for scale, r in results.items():
        f = facts[scale]
        ing, tr, pub, fl = r["ingest"], r["transform"], r["publish"], r["floor"]
        meta = ing["metadata"].get("raw_claimant_count", {})
        rows = meta.get("dagster/row_count", fl["rows"])
        fetch_parse, load = meta.get("fetch_parse_seconds"), meta.get("load_seconds")
        step = ing["steps"].get("raw_claimant_count", ing["wall"])
        tr_steps = tr["asset_seconds"]
        lines.append(f"### {scale}: {f['districts']} district(s), {f['wards']:,} wards, {rows:,} claimant rows, "
                     f"{f['pages']} pages, {_fmt(f['csv_mb'])} MB of CSV\n")
        lines.append("| stage | pipeline (s) | floor (s) | pipeline / floor | rows/s (pipeline) | peak RSS (MB) |")
        lines.append("|---|---|---|---|---|---|")
        if fetch_parse is not None:
            lines.append(f"| fetch + parse (HTTP, Arrow CSV) | {_fmt(fetch_parse, 2)} | | | {_fmt(rows / fetch_parse, 0)} | |")
            lines.append(f"| load (Arrow -> DuckDB, revision hashes) | {_fmt(load, 2)} | | | {_fmt(rows / load, 0)} | |")
        lines.append(f"| **ingest** (step total) | {_fmt(step, 2)} | {_fmt(fl['ingest'], 2)} | "
                     f"{_fmt(step / fl['ingest'], 2)}x | {_fmt(rows / step, 0)} | {_fmt(ing['peak_rss_mb'], 0)} |")
        lines.append(f"| **transform** (to ward_indicators) | {_fmt(tr_steps, 2)} | {_fmt(fl['transform'], 2)} | "
                     f"{_fmt(tr_steps / fl['transform'], 2)}x | {_fmt(rows / tr_steps, 0)} | {_fmt(tr['peak_rss_mb'], 0)} |")
        total_p, total_f = step + tr_steps, fl["ingest"] + fl["transform"]
        lines.append(f"| **ingest + transform** | {_fmt(total_p, 2)} | {_fmt(total_f, 2)} | **{_fmt(total_p / total_f, 2)}x** "
                     f"| {_fmt(rows / total_p, 0)} | |")
        pstep = pub["steps"].get("published_database", pub["wall"])
        lines.append(f"| publish (copy + atomic rename) | {_fmt(pstep, 2)} | {_fmt(fl['publish'], 2)} | "
                     f"{_fmt(pstep / fl['publish'], 2)}x | | {_fmt(pub['peak_rss_mb'], 0)} |")
        lines.append(f"| quality checks (blocking, not in the floor) | {_fmt(tr['check_seconds'], 2)} | | | | |")
        lines.append(f"| floor process (read_csv + SQL + copy) | | | | | {_fmt(fl['peak_rss_mb'], 0)} |")
        no = r["noop"]
        lines.append(f"\nNightly refresh with nothing new: {_fmt(no['wall'], 2)} s in-process "
                     f"({no['requests']} requests, {no['server_requests']} seen by the server; "
                     f"nothing_to_do={no['nothing_to_do']}). Process wall times including Python and Dagster start-up: "
                     f"ingest {_fmt(ing['wall'], 1)} s, transform {_fmt(tr['wall'], 1)} s, publish {_fmt(pub['wall'], 1)} s. "
                     f"Ingest made {ing.get('requests', '?')} HTTP requests.\n")
    lines.append("### Scaling\n")
    lines.append("| scale | wards | claimant rows | ingest (s) | transform (s) | publish (s) | ingest peak RSS (MB) | "
                 "transform peak RSS (MB) | ingest s per million rows |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for scale, r in results.items():
        meta = r["ingest"]["metadata"].get("raw_claimant_count", {})
        rows = meta.get("dagster/row_count", r["floor"]["rows"])
        step = r["ingest"]["steps"].get("raw_claimant_count", 0)
        tr = r["transform"]["asset_seconds"]
        lines.append(f"| {scale} | {facts[scale]['wards']:,} | {rows:,} | {_fmt(step, 2)} | {_fmt(tr, 2)} | "
                     f"{_fmt(r['publish']['steps'].get('published_database', 0), 2)} | {_fmt(r['ingest']['peak_rss_mb'], 0)} | "
                     f"{_fmt(r['transform']['peak_rss_mb'], 0)} | {_fmt(step / rows * 1e6, 2)} |")
    return "\n".join(lines)


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
    parser.add_argument("--reuse", action="store_true",
                        help="measure again on a response set an earlier run generated (skip generating)")
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
        results[scale] = measure(scale, workdir)
        saved.write_text(json.dumps({"facts": facts[scale], "results": results[scale]}, indent=1, default=str))
    text = f"Machine: {machine()}\n\n" + report(facts, results)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
