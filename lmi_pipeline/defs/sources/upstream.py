"""One observable source asset per upstream data set: its data version is the release stamp upstream
gives (Nomis `LastUpdated`, the DfE NEET release; for Stat-Xplore "no key", or the month). Observing is a few small metadata requests, never a
data download; the `refresh_on_release` sensor plans a run from what the observations say."""

import dagster as dg

from lmi_pipeline.clients.dfe import DfeResource
from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.clients.statxplore import StatXploreResource
from lmi_pipeline.sources.upstream import UPSTREAMS, Upstream, observe


def upstream_release(upstream: Upstream) -> dg.SourceAsset:
    """The observable source asset of `upstream`'s releases."""

    @dg.observable_source_asset(
        name=upstream.key.path[-1], group_name="upstream", kinds={upstream.service},
        description=f"{upstream.title} ({upstream.dataset}) as published upstream: each observation records its "
        f"release stamp as the data version. Read by {', '.join(upstream.sources)}.",
        metadata={"dataset": upstream.dataset, "service": upstream.service},
    )
    def release(context: dg.AssetExecutionContext, nomis: NomisResource, dfe: DfeResource,
                statxplore: StatXploreResource) -> dg.ObserveResult:
        seen = observe(upstream, nomis, dfe, statxplore)
        if seen.error:
            context.log.warning(f"{upstream.ref}: release stamp unknown ({seen.error})")
        return dg.ObserveResult(data_version=dg.DataVersion(seen.data_version), metadata=seen.metadata())

    return release


UPSTREAM_RELEASES = [upstream_release(u) for u in UPSTREAMS]
