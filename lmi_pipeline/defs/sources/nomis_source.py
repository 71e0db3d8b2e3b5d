"""The shape every Nomis raw asset shares: resolve codes by label, stream the query into raw_*, log it.

Follows raw_population: dimension codes are found in the dataset's own codelists by label (never
assumed), geographies come from `nomis_geographies` (query_areas), pages stream through Arrow into a
staging table that one transaction moves into place, and every request (metadata and pages) is logged
for provenance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import dagster as dg

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.defs.sources.claimant_count import resolve_codes
from lmi_pipeline.sources.nomis_loading import load_nomis_query, move_into_place
from lmi_pipeline.sources.query_areas import query_areas, small_area_level
from lmi_pipeline.sources.request_log import log_requests
from lmi_pipeline.storage import WarehouseResource


@dataclass(frozen=True)
class NomisSource:
    asset: str  # the raw table
    role: str  # its key in nomis_geographies.NOMIS_DATASETS
    dataset: str
    label: str  # what a person calls it, for logs and errors
    select: tuple[str, ...]
    # concept -> {our name: label pattern}: every wanted code is found in the dataset's codelist by label
    codes: dict[str, dict[str, re.Pattern]] = field(default_factory=dict)
    fixed: tuple[tuple[str, str], ...] = ()  # dimensions sent as they are (e.g. measures=20100)
    time: str | None = None
    date: str | None = None


def load_source(context: dg.AssetExecutionContext, nomis: NomisResource, warehouse: WarehouseResource,
                src: NomisSource) -> dg.MaterializeResult:
    """Fetch `src` into its raw table (every column text, plus query_id) and log the requests."""
    mark = len(nomis.transport().fetched)
    dims = [(concept, ",".join(resolve_codes(nomis.codelist(src.dataset, concept), wanted,
                                             f"Nomis {src.dataset} {concept}").values()))
            for concept, wanted in src.codes.items()]
    release = nomis.dataset_release(src.dataset).get("LastUpdated", "")
    with warehouse.get_connection() as conn:
        geography, expected, labels = query_areas(conn, src.role, src.dataset)
        level = small_area_level(conn, src.role)
        small = sorted({p.split("TYPE")[1] for p in geography if "TYPE" in p})
        query = NomisQuery(dataset=src.dataset, geography=tuple(geography), select=src.select, time=src.time,
                           date=src.date, dimensions=tuple(dims) + src.fixed, label=f"Nomis {src.dataset} ({src.label})")
        lsoa_level = conn.execute("SELECT count(*) > 0 FROM nomis_geographies WHERE role = ? AND level = 'lsoa'",
                                  [src.role]).fetchall()[0][0]
        # Where a table is only published for LSOAs, provenance says the ward figures are best-fit aggregates.
        data_label = (f"{src.dataset} (2021 LSOAs; aggregated to wards by LSOA21 best fit)" if lsoa_level
                      else src.dataset)
        loaded = load_nomis_query(conn, src.asset, nomis, query, context.log, expected, labels)
        conn.execute("BEGIN")
        move_into_place(conn, src.asset, loaded)
        datasets = {f"dataset/{src.dataset}.data": data_label, f"dataset/{src.dataset}": src.dataset}
        log_requests(conn, src.asset, nomis.transport().fetched[mark:], datasets=datasets,
                     releases={prefix: release for prefix in datasets}, rows=loaded.rows_per_page)
        conn.execute("COMMIT")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": loaded.rows, "pages": loaded.pages, "latest_period": loaded.latest_period,
        "release": release, "small_area_types": str(small), "dataset": data_label,
        "geography_level": level,
    })
