"""What a refresh should fetch: asked upstream with a handful of small requests, never by re-downloading.

- The claimant count (monthly partitions): compare NM_162_1's release stamp (`LastUpdated`) with the
  one the working database holds. Unchanged means nothing new: no data request at all. Changed means
  asking Nomis for its latest month (one 1-row request), then loading every month the working database
  does not hold plus the last `revision_window` months, which Nomis revises at each release.
- Other sources (annual, irregular) declare `lmi/upstream` metadata ("nomis:NM_xxx"); they are
  refreshed when their release stamp differs from the one the working database holds for them.
What is held is read from the working database of this source mode itself, never from Dagster's run
history: a working database that was lost, or one of the other source mode, is rebuilt, not trusted.
Used by `lmi run` (everything), `lmi refresh` (cron) and the nightly schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from lmi_pipeline.clients.dfe import DfeResource
from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.defs.partitions import extend_claimant_months
from lmi_pipeline.periods import months as month_range

CLAIMANT_DATASET = "NM_162_1"
CLAIMANT_ASSET = dg.AssetKey("raw_claimant_count")
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


@dataclass
class RefreshPlan:
    months: list[str] = field(default_factory=list)  # claimant months to load, contiguous, oldest first
    skipped: dict[str, str] = field(default_factory=dict)  # source asset -> why it is not fetched
    refreshed: dict[str, str] = field(default_factory=dict)  # source asset -> why it is fetched
    requests: int = 0  # upstream requests the planning itself made

    @property
    def nothing_to_do(self) -> bool:
        return not self.months and not self.refreshed

    def partition_tags(self) -> dict[str, str]:
        if not self.months:
            return {}
        return {RANGE_START: f"{self.months[0]}-01", RANGE_END: f"{self.months[-1]}-01"}

    def summary(self) -> str:
        lines = [f"fetch {k}: {v}" for k, v in self.refreshed.items()]
        lines += [f"skip {k}: {v}" for k, v in self.skipped.items()]
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


@dataclass(frozen=True)
class Held:
    """What the working database holds: claimant months, and each source asset's release stamp."""

    months: frozenset[str] = frozenset()
    releases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, work_db: Path | None) -> "Held":
        if work_db is None or not Path(work_db).exists():
            return cls()
        try:
            with duckdb.connect(str(work_db), read_only=True) as conn:
                tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
                months = (frozenset(r[0] for r in conn.execute("SELECT DISTINCT DATE FROM raw_claimant_count").fetchall())
                          if "raw_claimant_count" in tables else frozenset())
                releases = (dict(conn.execute(
                    "SELECT source_asset, max(release) FROM source_requests WHERE release <> '' GROUP BY 1").fetchall())
                    if "source_requests" in tables else {})
        except duckdb.Error:  # unreadable or busy: plan as if nothing were held (the run says why it cannot open it)
            return cls()
        return cls(months, releases)


def plan_refresh(instance: dg.DagsterInstance, nomis: NomisResource, start_month: str,
                 revision_window: int = 2, source_specs: list[dg.AssetSpec] | None = None,
                 everything: bool = False, dfe: DfeResource | None = None, work_db: Path | None = None) -> RefreshPlan:
    """Decide what to fetch, from what the working database `work_db` holds. `everything` loads the whole
    claimant history and every source. Without `dfe`, DfE sources are fetched whenever a run happens."""
    plan = RefreshPlan()
    before = len(nomis.transport().fetched) + (len(dfe.transport().fetched) if dfe else 0)
    held = Held.read(work_db)
    loaded = {m for m in held.months if m >= start_month}
    last = {"release": held.releases.get(CLAIMANT_ASSET.to_user_string()), "latest_period": max(loaded, default="?")}
    try:
        release = nomis.dataset_release(CLAIMANT_DATASET).get("LastUpdated", "")
        latest = None if (not everything and loaded and release and last["release"] == release) \
            else latest_released_month(nomis)
    except UpstreamError as exc:
        if not loaded:
            raise  # nothing held and nothing reachable: there is nothing to run on
        # Try the last held months again: the source then degrades (keeps what it has, says why), and every
        # other source still runs.
        plan.months = sorted(loaded)[-revision_window:]
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
        todo = set(wanted) if everything else {m for m in wanted if m not in loaded}
        todo |= set(wanted[-revision_window:])
        plan.months = [m for m in wanted if m >= min(todo)] if todo else []
        why = "full history" if everything else (f"release {release or '?'} (was {last['release'] or 'never loaded'}); "
                                                f"{len(todo - set(wanted[-revision_window:]))} new month(s) "
                                                f"+ last {revision_window} for revisions")
        plan.refreshed["raw_claimant_count"] = f"{plan.months[0]} to {plan.months[-1]}: {why}"
    for spec in source_specs or []:
        upstream = str(spec.metadata.get("lmi/upstream", ""))
        name = spec.key.to_user_string()
        service, _, dataset = upstream.partition(":")
        if spec.key == CLAIMANT_ASSET or service not in ("nomis", "dfe") or (service == "dfe" and dfe is None):
            continue
        try:
            stamp = (nomis.dataset_release(dataset).get("LastUpdated", "") if service == "nomis"
                     else dfe_release(dfe))
        except UpstreamError as exc:  # fetch it anyway: the source then degrades on its own and says why
            plan.refreshed[name] = f"{dataset} release unknown ({exc}); fetching, to keep or replace what is held"
            continue
        previous = held.releases.get(name)
        if everything:
            plan.refreshed[name] = f"full refresh ({dataset} release {stamp or '?'})"
        elif not stamp or previous != stamp:
            plan.refreshed[name] = f"{dataset} release {stamp or '?'} (was {previous or 'never loaded'})"
        else:
            plan.skipped[name] = f"{dataset} release {stamp} unchanged"
    plan.requests = len(nomis.transport().fetched) + (len(dfe.transport().fetched) if dfe else 0) - before
    return plan


def dfe_release(dfe: DfeResource) -> str:
    """The NEET data set's release stamp, as raw_neet records it."""
    return dfe.neet_release()


def refresh_selection(definitions: dg.Definitions, plan: RefreshPlan) -> list[dg.AssetKey]:
    """Every asset except the upstream-stamped sources the plan skips."""
    skipped = {dg.AssetKey(name) for name in plan.skipped}
    return [spec.key for spec in definitions.resolve_all_asset_specs() if spec.key not in skipped]
