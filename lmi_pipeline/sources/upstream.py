"""The upstream data sets, one per release a refresh watches, and what each one's release stamp is.

Each upstream is observed by a Dagster observable source asset (defs/sources/upstream.py), whose data
version is the release stamp asked here: Nomis's `LastUpdated` for a Nomis dataset, the DfE NEET file's
release for DfE. The raw source assets that read an upstream depend on its observation. Refresh planning
(refresh.py) reads the latest observation of each from the Dagster instance (`observed_releases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import dagster as dg

from lmi_pipeline.clients.dfe import DfeResource
from lmi_pipeline.clients.mhclg import file7_release
from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.clients.statxplore import StatXploreResource
from lmi_pipeline.clients.transport import UpstreamError


@dataclass(frozen=True)
class Upstream:
    service: str  # nomis | dfe | statxplore | mhclg
    dataset: str  # NM_162_1 | neet-16-17
    title: str
    sources: tuple[str, ...]  # the raw source assets (tables) loaded from it

    @property
    def ref(self) -> str:
        """'nomis:NM_162_1': how source_status names the upstream of a raw table."""
        return f"{self.service}:{self.dataset}"

    @property
    def key(self) -> dg.AssetKey:
        """The observable source asset of this upstream's releases, e.g. nomis_nm_162_1."""
        return dg.AssetKey(f"{self.service}_{self.dataset}".lower().replace("-", "_"))


CLAIMANT = Upstream("nomis", "NM_162_1", "Nomis claimant count", ("raw_claimant_count",))
NO_KEY = "no key"  # the release stamp of an upstream behind a key that is not set: nothing to load
UPSTREAMS: tuple[Upstream, ...] = (
    CLAIMANT,
    Upstream("nomis", "NM_2014_1", "Nomis small-area population estimates", ("raw_population",)),
    Upstream("nomis", "NM_17_5", "Nomis Annual Population Survey", ("raw_aps",)),
    Upstream("nomis", "NM_127_1", "Nomis model-based unemployment", ("raw_model_unemployment",)),
    Upstream("nomis", "NM_30_1", "Nomis ASHE resident analysis", ("raw_ashe_earnings",)),
    Upstream("nomis", "NM_57_1", "Nomis jobs density", ("raw_jobs_density",)),
    Upstream("nomis", "NM_189_1", "Nomis BRES open access", ("raw_bres_employees",)),
    Upstream("nomis", "NM_141_1", "Nomis UK Business Counts local units", ("raw_business_counts",)),
    Upstream("nomis", "NM_2083_1", "Nomis Census 2021 TS066", ("raw_census_economic_activity",)),
    Upstream("nomis", "NM_2124_1", "Nomis Census 2021 RM024", ("raw_census_age_activity",)),
    Upstream("nomis", "NM_2084_1", "Nomis Census 2021 TS067", ("raw_census_qualifications",)),
    Upstream("nomis", "NM_2077_1", "Nomis Census 2021 TS060", ("raw_census_industry",)),
    Upstream("nomis", "NM_2080_1", "Nomis Census 2021 TS063", ("raw_census_occupation",)),
    Upstream("dfe", "neet-16-17", "DfE NEET and not known, 16-17", ("raw_neet",)),
    Upstream("statxplore", "UC_Monthly", "DWP Stat-Xplore Universal Credit", ("raw_uc_conditionality",)),
    Upstream("mhclg", "IoD2025", "MHCLG English Indices of Deprivation 2025, File 7", ("raw_iod",)),
)


def upstream_of(source_asset: str) -> Upstream | None:
    """The upstream a raw source asset (table) is loaded from, or None."""
    return next((u for u in UPSTREAMS if source_asset in u.sources), None)


def by_dataset(service: str, dataset: str) -> Upstream:
    found = next((u for u in UPSTREAMS if (u.service, u.dataset) == (service, dataset)), None)
    if found is None:
        raise KeyError(f"{service}:{dataset} is not in lmi_pipeline.sources.upstream.UPSTREAMS; add it there")
    return found


def release_stamp(upstream: Upstream, nomis: NomisResource, dfe: DfeResource,
                  statxplore: StatXploreResource | None = None) -> str:
    """The upstream's current release stamp (one small metadata request; never a data download)."""
    if upstream.service == "nomis":
        return nomis.dataset_release(upstream.dataset).get("LastUpdated", "")
    if upstream.service == "dfe":
        return dfe.neet_release()
    if upstream.service == "statxplore":
        # Stat-Xplore gives no release stamp this pipeline reads, and without a key there is nothing to load: the
        # stamp is NO_KEY (planning skips the source), or with a key the calendar month. No request either way.
        if statxplore is None or not statxplore.has_key():
            return NO_KEY
        return f"month {date.today():%Y-%m}"
    if upstream.service == "mhclg":
        return file7_release()  # no request: a new release is a new address
    raise ValueError(f"unknown upstream service {upstream.service!r}")


@dataclass(frozen=True)
class Observed:
    """One observation of an upstream: its release stamp, or why it could not be asked."""

    release: str = ""
    error: str | None = None
    requests: int = 0  # upstream requests the observation made

    @property
    def data_version(self) -> str:
        return self.release if self.release and not self.error else "unknown"

    def metadata(self) -> dict[str, str | int]:
        return {"release": self.release, "error": self.error or "", "requests": self.requests}


def observe(upstream: Upstream, nomis: NomisResource, dfe: DfeResource,
            statxplore: StatXploreResource | None = None) -> Observed:
    """Ask the upstream's release stamp; an upstream that cannot be asked is an observation too (its
    error), so planning degrades on it as it would on any request that fails."""
    transport = nomis.transport() if upstream.service == "nomis" else dfe.transport()
    with transport.collect() as fetched:
        try:
            stamp = release_stamp(upstream, nomis, dfe, statxplore)
        except UpstreamError as exc:
            return Observed("", str(exc), len(fetched))
    return Observed(stamp, None, len(fetched))


def latest_observation(instance: dg.DagsterInstance, upstream: Upstream) -> tuple[int, Observed] | None:
    """The storage id and content of the upstream's latest observation in `instance`, or None."""
    records = instance.fetch_observations(upstream.key, limit=1).records
    if not records:
        return None
    record = records[0]
    event = record.asset_observation
    meta = {k: v.value for k, v in (event.metadata or {}).items()}
    return record.storage_id, Observed(str(meta.get("release", "")), str(meta.get("error") or "") or None,
                                       int(meta.get("requests", 0) or 0))


def observed_releases(instance: dg.DagsterInstance) -> dict[str, Observed]:
    """The latest observation of every upstream, by upstream ref ('nomis:NM_162_1'); one never observed is
    absent."""
    found = {u.ref: latest_observation(instance, u) for u in UPSTREAMS}
    return {ref: record[1] for ref, record in found.items() if record is not None}
