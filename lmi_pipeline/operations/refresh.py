"""What a refresh should fetch: decided from Dagster's observations of the upstream releases and from
what the databases actually hold, never by re-downloading.

Each upstream data set is an observable source asset (defs/sources/upstream.py; the list is
lmi_pipeline/sources/upstream.py) whose data version is its release stamp (Nomis `LastUpdated`, the DfE NEET
release). `plan_refresh` reads the latest observation of each from the Dagster instance, then:
- the claimant count (monthly partitions): compare NM_162_1's observed release stamp with the one the
  working database holds. Unchanged means nothing new: no data request at all. Changed means asking Nomis
  for its latest month (one 1-row request), then loading every month the working database does not hold
  plus the last `revision_window` months, which Nomis revises at each release.
- other sources (annual, irregular) are refreshed when their upstream's observed release stamp differs
  from the one the working database holds for them.
What is held is read from the databases themselves, never from Dagster's run history or from a release
stamp alone:
- the working database of this source mode: a source whose table is missing, or that lacks a month from
  lmi.toml's start_month to the latest it holds, or a configured district (in any month, for the claimant
  count), is fetched in full, whatever its release stamp says. A working database that was lost, or one of
  the other source mode, is rebuilt, not trusted;
- the published database: missing, unreadable read-only, of another source mode, not the last build (the
  working database has loads it lacks: a run that loaded and then failed to publish), or built for other
  areas or settings than lmi.toml now gives, it is rebuilt from the working database and published again,
  with no data request.
Before any request, the folders a run writes must be writable (settings.check_writable).
Used by `lmi run` (everything), `lmi refresh` (cron) and the refresh_on_release sensor, each after the
observe_upstream_releases job has observed the upstreams.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from lmi_pipeline.clients.dfe import DfeResource
from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.database.storage import quote_literal
from lmi_pipeline.periods import months as month_range
from lmi_pipeline.settings import PUBLISHED_DB_NAME, Settings, SettingsError, check_writable, data_dir_of
from lmi_pipeline.sources.claimant_months import extend_claimant_months
from lmi_pipeline.sources.upstream import CLAIMANT, NO_KEY, UPSTREAMS, Observed, observed_releases

CLAIMANT_DATASET = CLAIMANT.dataset
CLAIMANT_ASSET = dg.AssetKey("raw_claimant_count")
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
PUBLISH = "published_database"


@dataclass
class RefreshPlan:
    months: list[str] = field(default_factory=list)  # claimant months to load, contiguous, oldest first
    skipped: dict[str, str] = field(default_factory=dict)  # source asset -> why it is not fetched
    refreshed: dict[str, str] = field(default_factory=dict)  # source asset -> why it is fetched
    republish: str | None = None  # why the publication must be rebuilt even if nothing is fetched
    requests: int = 0  # upstream requests observing (the release stamps) and planning (the latest month) made

    @property
    def nothing_to_do(self) -> bool:
        return not self.months and not self.refreshed and not self.republish

    def partition_tags(self) -> dict[str, str]:
        if not self.months:
            return {}
        return {RANGE_START: f"{self.months[0]}-01", RANGE_END: f"{self.months[-1]}-01"}

    def summary(self) -> str:
        lines = [f"fetch {k}: {v}" for k, v in self.refreshed.items()]
        lines += [f"skip {k}: {v}" for k, v in self.skipped.items()]
        if self.republish:
            lines.append(f"publish: {self.republish}")
        return "\n".join(lines)


def latest_released_month(nomis: NomisResource, dataset: str = CLAIMANT_DATASET) -> str:
    """Nomis's latest month for a dataset, from a one-row request for the country."""
    types = dict((name.lower(), sel) for sel, name in nomis.geography_types(dataset))
    countries = nomis.areas(dataset, types.get("countries", "TYPE499"))
    # Any country will do (every Nomis dataset here lists England); the newest month is the same for all.
    england = next((a for a in sorted(countries, key=lambda a: a.gss_code != "E92000001")), None)
    if england is None:
        raise UpstreamError(f"Nomis {dataset}: no country geography to ask for the latest month.")
    query = NomisQuery(dataset, (england.nomis_id,), ("DATE",), date="latest",
                       dimensions=(("gender", "0"), ("age", "0"), ("measure", "1"), ("measures", "20100")),
                       label=f"Nomis {dataset} (latest month probe)")
    table = nomis.fetch(query).table
    return max(table["DATE"].to_pylist())


def _attach(path: Path) -> tuple[duckdb.DuckDBPyConnection, str | None]:
    """A fresh in-memory DuckDB with `path` attached read-only as `db` (no cached instance, no lock held
    beyond the read), or the reason it cannot be opened."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {quote_literal(str(path))} AS db (READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        return None, f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    return con, None


@dataclass(frozen=True)
class Held:
    """What a database holds: claimant months, each source asset's release stamp and loads, its tables,
    which configured districts each raw table holds, and the source modes of its figures."""

    months: frozenset[str] = frozenset()
    releases: dict[str, str] = field(default_factory=dict)
    exists: bool = False
    problem: str | None = None  # why it could not be read (then nothing is trusted to be held)
    tables: frozenset[str] = frozenset()
    loads: dict[str, tuple] = field(default_factory=dict)  # source asset -> (requests, last retrieval, release)
    # raw table -> the districts it holds, of those configured now or covered by its last run
    districts: dict[str, frozenset[str]] = field(default_factory=dict)
    month_districts: dict[str, frozenset[str]] = field(default_factory=dict)  # claimant month -> districts held
    not_offered: dict[str, frozenset[str]] = field(default_factory=dict)  # raw table -> districts never offered
    modes: frozenset[str] = frozenset()  # provenance.source_mode values
    config: dict | None = None  # the areas_config row (what lmi.toml asked for when it was built)

    @classmethod
    def read(cls, work_db: Path | None, lad_codes: list[str] | tuple[str, ...] = ()) -> "Held":
        if work_db is None or not Path(work_db).exists():
            return cls()
        con, problem = _attach(Path(work_db))
        if con is None:  # unreadable or busy: plan as if nothing were held (the run says why it cannot open it)
            return cls(exists=True, problem=problem)
        try:
            tables = frozenset(r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'db'").fetchall())
            q = lambda sql, params=None: con.execute(sql, params or {}).fetchall()  # noqa: E731
            last = set((q("SELECT lad_codes FROM db.areas_config") or [([],)])[0][0] or []) \
                if "areas_config" in tables else set()
            lads = sorted(set(lad_codes) | last)  # the districts asked for now, and those its last run covered
            months = (frozenset(r[0] for r in q("SELECT DISTINCT DATE FROM db.raw_claimant_count"))
                      if "raw_claimant_count" in tables else frozenset())
            releases, loads = {}, {}
            if "source_requests" in tables:
                releases = dict(q("SELECT source_asset, max(release) FROM db.source_requests WHERE release <> '' "
                                  "GROUP BY 1"))
                loads = {a: (n, str(t), r) for a, n, t, r in q(
                    "SELECT source_asset, count(*), max(retrieved_at), max(release) FROM db.source_requests GROUP BY 1")}
            columns = {(t, c) for t, c in q("SELECT table_name, column_name FROM duckdb_columns() "
                                            "WHERE database_name = 'db'")}
            districts, month_districts = {}, {}
            for table in sorted(t for t in tables if t.startswith("raw_") and (t, "GEOGRAPHY_CODE") in columns):
                districts[table] = frozenset(r[0] for r in q(
                    f'SELECT DISTINCT GEOGRAPHY_CODE FROM db."{table}" WHERE list_contains($lads, GEOGRAPHY_CODE)',
                    {"lads": lads}))
            if ("raw_claimant_count", "GEOGRAPHY_CODE") in columns:
                month_districts = {m: frozenset(d) for m, d in q(
                    "SELECT DATE, list(DISTINCT GEOGRAPHY_CODE) FROM db.raw_claimant_count "
                    "WHERE list_contains($lads, GEOGRAPHY_CODE) GROUP BY 1", {"lads": lads})}
            not_offered = {}
            if {"areas_config", "nomis_geographies"} <= tables:
                for role, offered in q("SELECT role, list(DISTINCT gss_code) FILTER (level = 'lad') "
                                       "FROM db.nomis_geographies GROUP BY 1"):
                    not_offered[f"raw_{role}"] = frozenset(last - set(offered or []))
            modes = (frozenset(r[0] for r in q("SELECT DISTINCT source_mode FROM db.provenance") if r[0])
                     if ("provenance", "source_mode") in columns else frozenset())
            config = None
            if "areas_config" in tables:
                cur = con.execute("SELECT * FROM db.areas_config LIMIT 1")
                row = cur.fetchone()
                config = dict(zip([d[0] for d in cur.description], row)) if row else None
        except duckdb.Error as exc:
            return cls(exists=True, problem=f"{type(exc).__name__}: {' '.join(str(exc).split())}")
        finally:
            con.close()
        return cls(months, releases, True, None, tables, loads, districts, month_districts, not_offered, modes,
                   config)

    def missing_districts(self, table: str, lad_codes) -> list[str]:
        """Configured districts `table` lacks, except those its dataset did not offer when last asked."""
        expected = set(lad_codes) - self.not_offered.get(table, frozenset())
        return sorted(expected - self.districts.get(table, frozenset()))

    def extra_districts(self, table: str, lad_codes) -> list[str]:
        """Districts `table` holds that lmi.toml no longer asks for (a district removed from it)."""
        return sorted(self.districts.get(table, frozenset()) - set(lad_codes))


def _shorten(items: list[str], n: int = 4) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def claimant_gaps(held: Held, start_month: str, lad_codes) -> str | None:
    """Why the working database's claimant count cannot be topped up month by month, or None: the table is
    missing, a month from start_month to the latest held is missing, it holds a district lmi.toml no longer
    asks for, or a configured district is missing from some month (a district added to lmi.toml, a
    half-lost database)."""
    if held.problem or not held.exists:
        return None  # nothing held: planned as a first load
    if "raw_claimant_count" not in held.tables:
        return "the working database has no raw_claimant_count table"
    loaded = sorted(m for m in held.months if m >= start_month)
    if not loaded:
        return None
    gaps = [m for m in month_range(start_month, loaded[-1]) if m not in held.months]
    if gaps:
        return (f"the working database lacks {len(gaps)} of the months from {start_month} to {loaded[-1]} "
                f"({_shorten(gaps)})")
    if lad_codes:
        extra = held.extra_districts("raw_claimant_count", lad_codes)
        if extra:
            return f"the working database holds district(s) no longer in lmi.toml ({_shorten(extra)})"
    expected = set(lad_codes) - held.not_offered.get("raw_claimant_count", frozenset())
    lacking = {}
    for m in loaded:
        for lad in expected - held.month_districts.get(m, frozenset()):
            lacking.setdefault(lad, []).append(m)
    if lacking:
        return "the working database lacks " + "; ".join(
            f"district {lad} in {len(ms)} month(s)" for lad, ms in sorted(lacking.items()))
    return None


def publication_gap(work: Held, published: Held, published_db: Path, source_mode: str | None) -> str | None:
    """Why the publication is not the working database's last build, or None."""
    if not work.exists or work.problem or not work.tables:
        return None  # the working database is rebuilt anyway, and then published
    if not published.exists:
        return f"{published_db} does not exist; rebuilding it from the working database"
    if published.problem:
        return f"{published_db} cannot be opened read-only ({published.problem}); publishing it again"
    lacking = sorted(t for t in work.tables - published.tables if not t.endswith("__incoming"))
    if lacking:
        return f"{published_db} lacks table(s) the working database has ({_shorten(lacking)}); publishing again"
    family = None if source_mode is None else ("demo" if source_mode == "demo" else "live")
    theirs = {"demo" if m == "demo" else "live" for m in published.modes}
    if family and theirs and theirs != {family}:
        return f"{published_db} holds figures of another source mode ({', '.join(sorted(published.modes))}); publishing this one"
    if published.months != work.months:
        return (f"{published_db} holds {len(published.months)} claimant month(s), the working database "
                f"{len(work.months)}; publishing again")
    changed = sorted(a for a in set(work.loads) | set(published.loads) if work.loads.get(a) != published.loads.get(a))
    if changed:
        return (f"{published_db} is not the working database's last build (a run loaded {_shorten(changed)} "
                "and did not publish); publishing it now")
    return None


# What of lmi.toml a publication records in areas_config and is built from (areas_config.py writes them).
CONFIG_FIELDS = ("lad_codes", "focus_wards", "benchmarks", "start_month", "baseline_month", "small_number_threshold",
                 "youth_age_band")


def config_of(areas) -> dict:
    """The areas_config fields a build for `areas` (an AreasConfig) records, as areas_config.py writes them."""
    return {"lad_codes": list(areas.lad_codes), "benchmarks": list(areas.benchmarks),
            "focus_wards": json.dumps({la.code: list(la.focus_wards) for la in areas.local_authorities
                                       if la.focus_wards}),
            "start_month": areas.start_month, "baseline_month": areas.baseline_month,
            "small_number_threshold": areas.small_number_threshold, "youth_age_band": areas.youth_age_band}


def config_gap(published: Held, areas, published_db: Path) -> str | None:
    """Why the publication was built for other areas or settings than lmi.toml now gives, or None."""
    if areas is None or published.config is None:
        return None
    now = config_of(areas)
    changed = [k for k in CONFIG_FIELDS if k in published.config and _norm(published.config[k]) != _norm(now[k])]
    if not changed:
        return None
    return (f"lmi.toml changed since {published_db} was built ({', '.join(changed)}); rebuilding it from the working "
            "database")


def _norm(value):
    if isinstance(value, (list, tuple)):
        return sorted(str(v) for v in value)
    return None if value is None else str(value)


@dataclass(frozen=True)
class _Context:
    published_db: Path | None
    areas: object | None  # AreasConfig
    source_mode: str | None
    dirs: list[tuple[str, Path]]

    @property
    def lad_codes(self) -> tuple[str, ...] | None:
        return tuple(self.areas.lad_codes) if self.areas is not None else None


def _context(work_db: Path | None, settings: Settings | None) -> _Context:
    """Where the publication is, which districts lmi.toml asks for and which folders a run writes: from
    `settings`, else from the environment's settings if they describe this working database (`lmi`, the
    schedule), else from the layout around the working database and the areas file its last run used."""
    if settings is None and work_db is not None:
        try:
            from lmi_pipeline.settings import load_settings

            env = load_settings()
            if env.work_db.resolve() == Path(work_db).resolve():
                settings = env
        except (SettingsError, OSError):
            pass
    if settings is not None:
        return _Context(settings.published_db, _areas(settings.areas_file), settings.source_mode,
                        settings.writable_dirs())
    data_dir = data_dir_of(Path(work_db)) if work_db is not None else None
    published = data_dir / PUBLISHED_DB_NAME if data_dir else None
    areas_file, mode = _last_config(Path(work_db)) if work_db is not None else (None, None)
    dirs = [("working directory", Path(work_db).parent)] if work_db is not None else []
    if data_dir is not None:
        dirs.insert(0, ("data directory (LMI_DATA_DIR)", data_dir))
    return _Context(published, _areas(areas_file) if areas_file else None, mode, dirs)


def _areas(areas_file: Path | None):
    from lmi_pipeline.geography.areas import load_areas

    try:
        return load_areas(Path(areas_file))
    except Exception:  # a bad lmi.toml is refused by name elsewhere (the CLI, the areas_config asset)
        return None


def _last_config(work_db: Path) -> tuple[Path | None, str | None]:
    """The areas file and source mode the working database's last run used (areas_config)."""
    if not work_db.exists():
        return None, None
    con, _ = _attach(work_db)
    if con is None:
        return None, None
    try:
        row = con.execute("SELECT areas_file, source_mode FROM db.areas_config LIMIT 1").fetchone()
    except duckdb.Error:
        row = None
    finally:
        con.close()
    return (Path(row[0]), row[1]) if row else (None, None)


def plan_refresh(instance: dg.DagsterInstance, nomis: NomisResource, start_month: str,
                 revision_window: int = 2, releases: Mapping[str, Observed] | None = None,
                 everything: bool = False, dfe: DfeResource | None = None, work_db: Path | None = None,
                 settings: Settings | None = None) -> RefreshPlan:
    """Decide what to fetch, from the upstream releases observed (`releases`, by upstream ref; else the
    latest observations in `instance`) and what the working database `work_db` and the publication hold.
    `everything` loads the whole claimant history and every source. `settings` (else found as _context
    says) gives the publication, lmi.toml's districts and the folders that must be writable; that is
    checked first, before any request. `dfe` only counts its requests."""
    ctx = _context(work_db, settings)
    check_writable(ctx.dirs)  # a read-only folder is named now, not after a dozen requests
    releases = observed_releases(instance) if releases is None else releases
    lads = ctx.lad_codes or ()
    plan = RefreshPlan()
    before = nomis.transport().responses + (dfe.transport().responses if dfe else 0)
    held = Held.read(work_db, lads)
    gaps = None if everything else claimant_gaps(held, start_month, lads)
    loaded = set() if gaps else {m for m in held.months if m >= start_month}
    last = {"release": held.releases.get(CLAIMANT_ASSET.to_user_string()), "latest_period": max(loaded, default="?")}
    claimant = releases.get(CLAIMANT.ref) or Observed(error=f"{CLAIMANT.ref} was never observed")
    try:
        if claimant.error:
            raise UpstreamError(claimant.error)
        release = claimant.release
        latest = None if (not everything and loaded and release and last["release"] == release) \
            else latest_released_month(nomis)
    except UpstreamError as exc:
        held_months = sorted(m for m in held.months if m >= start_month)
        if not held_months:
            raise  # nothing held and nothing reachable: there is nothing to run on
        # Try the last held months again: the source then degrades (keeps what it has, says why), and every
        # other source still runs.
        plan.months = held_months[-revision_window:]
        extend_claimant_months(instance, plan.months[-1])
        plan.refreshed["raw_claimant_count"] = (f"{plan.months[0]} to {plan.months[-1]}: retrying the last held "
                                                f"months, as Nomis could not be asked what is new ({exc})")
        release, latest = None, None
    if release is not None and latest is None:
        plan.skipped["raw_claimant_count"] = (f"{CLAIMANT_DATASET} release {release} unchanged since the last load "
                                              f"(latest month {last['latest_period']})")
    elif latest is not None:
        extend_claimant_months(instance, latest)
        wanted = month_range(start_month, latest)
        todo = set(wanted) if (everything or gaps) else {m for m in wanted if m not in loaded}
        todo |= set(wanted[-revision_window:])
        plan.months = [m for m in wanted if m >= min(todo)] if todo else []
        why = ("full history" if everything else f"full history: {gaps}" if gaps else
               f"release {release or '?'} (was {last['release'] or 'never loaded'}); "
               f"{len(todo - set(wanted[-revision_window:]))} new month(s) + last {revision_window} for revisions")
        plan.refreshed["raw_claimant_count"] = f"{plan.months[0]} to {plan.months[-1]}: {why}"
    for upstream in UPSTREAMS:
        if upstream == CLAIMANT:
            continue
        dataset, seen = upstream.dataset, releases.get(upstream.ref)
        for name in upstream.sources:
            if seen is None or seen.error:  # fetch it anyway: the source then degrades on its own and says why
                plan.refreshed[name] = (f"{dataset} release unknown ({seen.error if seen else 'never observed'}); "
                                        "fetching, to keep or replace what is held")
                continue
            stamp, previous, lacking = seen.release, held.releases.get(name), source_gaps(held, name, lads)
            if stamp == NO_KEY:  # behind a key that is not set: the source would only record that again
                plan.skipped[name] = f"{dataset}: no key set, nothing to load"
            elif everything:
                plan.refreshed[name] = f"full refresh ({dataset} release {stamp or '?'})"
            elif lacking:
                plan.refreshed[name] = f"full refresh ({dataset} release {stamp or '?'}): {lacking}"
            elif not stamp or previous != stamp:
                plan.refreshed[name] = f"{dataset} release {stamp or '?'} (was {previous or 'never loaded'})"
            else:
                plan.skipped[name] = f"{dataset} release {stamp} unchanged"
    if not everything and ctx.published_db is not None and not plan.months and not plan.refreshed:
        published = Held.read(ctx.published_db, lads)
        plan.republish = (publication_gap(held, published, ctx.published_db, ctx.source_mode)
                          or (config_gap(published, ctx.areas, ctx.published_db) if held.tables else None))
    plan.requests = (sum(o.requests for o in releases.values())
                     + nomis.transport().responses + (dfe.transport().responses if dfe else 0) - before)
    return plan


def source_gaps(held: Held, table: str, lad_codes) -> str | None:
    """Why a source's raw table cannot be trusted whatever its release stamp says, or None."""
    if not held.exists or held.problem:
        return None  # nothing held: every stamp reads "never loaded" anyway
    if table not in held.tables:
        return f"the working database has no {table} table"
    if table in held.districts:
        missing = held.missing_districts(table, lad_codes)
        if missing:
            return f"the working database's {table} lacks configured district(s) {_shorten(missing)}"
        extra = held.extra_districts(table, lad_codes) if lad_codes else []
        if extra:
            return f"the working database's {table} holds district(s) no longer in lmi.toml ({_shorten(extra)})"
    return None


def refresh_selection(assets: dg.Definitions | Iterable[dg.AssetKey], plan: RefreshPlan) -> list[dg.AssetKey]:
    """Every asset (of the definitions, or of these keys) except the sources the plan skips and the upstream
    observations, which are observed, not materialised."""
    keys = ([spec.key for spec in assets.resolve_all_asset_specs()] if isinstance(assets, dg.Definitions)
            else list(assets))
    skipped = {dg.AssetKey(name) for name in plan.skipped} | {u.key for u in UPSTREAMS}
    return [k for k in keys if k not in skipped]
