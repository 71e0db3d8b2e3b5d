"""What every Nomis raw table is, as a spec, and the one way it is loaded.

Dimension codes are found in the dataset's own codelists by label (never assumed), geographies come from
`nomis_geographies` (query_areas), pages stream through Arrow into a staging table that one transaction
moves into place (or, for a monthly table, whose months replace the same months held, with revisions
detected), and every request the load made (metadata and pages) is logged for provenance.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

import duckdb

from lmi_pipeline.clients.nomis import NomisQuery, NomisResource
from lmi_pipeline.clients.transport import UpstreamError
from lmi_pipeline.database.storage import WarehouseResource, quote_ident
from lmi_pipeline.sources.codes import resolve_codes
from lmi_pipeline.sources.nomis_loading import LoadedQuery, load_nomis_query, move_into_place
from lmi_pipeline.sources.query_areas import query_areas, small_area_level
from lmi_pipeline.sources.request_log import log_requests
from lmi_pipeline.sources.revisions import PeriodReplace

LSOA_LEVEL_SQL = "SELECT count(*) > 0 FROM nomis_geographies WHERE role = ? AND level = 'lsoa'"
LOADED_MONTHS_SQL = "SELECT DISTINCT DATE FROM {staging}"


@dataclass(frozen=True)
class Monthly:
    """A table loaded month by month (one partition each): a run replaces only its months, and a month
    whose content changed upstream since it was loaded is logged as revised."""

    row_key: tuple[str, ...]  # a row's identity within a month
    row_values: tuple[str, ...]  # the cells compared to detect a revision
    area_key: tuple[str, ...]  # an area on one set of boundaries
    period: str = "DATE"


@dataclass(frozen=True)
class NomisSource:
    asset: str  # the raw table
    role: str  # its key in nomis_geographies.NOMIS_DATASETS
    dataset: str
    label: str  # what a person calls it, for logs and errors
    select: tuple[str, ...]
    # Sent in this order: a code as it is (e.g. measures=20100), or {our name: label pattern}, every wanted
    # code then found in the dataset's codelist for that concept by label.
    dimensions: tuple[tuple[str, str | dict[str, re.Pattern]], ...] = ()
    time: str | None = None
    date: str | None = None
    monthly: Monthly | None = None
    # Whether the materialisation reports its small-area TYPEs and dataset label, as the snapshot sources
    # always have (raw_population never did).
    reports_small_areas: bool = True


@dataclass
class SourceLoad:
    """What one load brought in, for the asset's materialisation."""

    loaded: LoadedQuery
    geography_level: str
    small_area_types: list[str]
    dataset_label: str
    revised: list[str] = field(default_factory=list)


def dimensions(nomis: NomisResource, src: NomisSource) -> tuple[tuple[str, str], ...]:
    """The query's dimensions, every wanted code resolved by label."""
    return tuple((concept, value if isinstance(value, str) else ",".join(
        resolve_codes(nomis.codelist(src.dataset, concept), value, f"Nomis {src.dataset} {concept}").values()))
        for concept, value in src.dimensions)


def load_source(nomis: NomisResource, warehouse: WarehouseResource, src: NomisSource, log: logging.Logger,
                months: list[str] | None = None) -> SourceLoad:
    """Fetch `src` (for `months`, if monthly) into its raw table, every column text plus query_id, and log
    the requests it made in source_requests."""
    with nomis.transport().collect() as fetched:
        dims = dimensions(nomis, src)
        release = nomis.dataset_release(src.dataset).get("LastUpdated", "")
        with warehouse.get_connection() as conn:
            geography, expected, labels = query_areas(conn, src.role, src.dataset)
            level = small_area_level(conn, src.role)
            span = f", {months[0]} to {months[-1]}" if months else ""
            query = NomisQuery(dataset=src.dataset, geography=tuple(geography), select=src.select,
                               time=f"{months[0]},{months[-1]}" if months else src.time, date=src.date,
                               dimensions=dims, label=f"Nomis {src.dataset} ({src.label}{span})")
            data_label = _data_label(conn, src)
            loaded = load_nomis_query(conn, src.asset, nomis, query, log, expected, labels)
            loaded.release = release
            if src.monthly:
                _check_months(conn, loaded, months or [], query.label)
            t0 = time.perf_counter()
            conn.execute("BEGIN")  # the table changes (and revisions are logged) all at once, or not at all
            periods = None
            if src.monthly:
                periods = PeriodReplace(conn, src.asset, src.monthly.period, list(src.monthly.row_key),
                                        list(src.monthly.row_values), list(src.monthly.area_key))
                revised = periods.apply(loaded.staging, months or [], src.asset, release, loaded.query_id)
            else:
                move_into_place(conn, src.asset, loaded)
                revised = []
            loaded.load_seconds += time.perf_counter() - t0
            datasets = {f"dataset/{src.dataset}.data": data_label, f"dataset/{src.dataset}": src.dataset}
            log_requests(conn, src.asset, fetched, datasets=datasets, releases={p: release for p in datasets},
                         rows=loaded.rows_per_page, keep_referenced_by=src.asset if src.monthly else None)
            conn.execute("COMMIT")
    if periods and periods.added_columns:
        log.warning(f"{src.dataset}: upstream added column(s) {periods.added_columns}; kept in {src.asset} "
                    f"(NULL in the months loaded before)")
    if revised:
        log.warning(f"{src.dataset}: upstream revised {len(revised)} month(s) already loaded: {revised}")
    small = sorted({p.split("TYPE")[1] for p in geography if "TYPE" in p})
    return SourceLoad(loaded, level, small, data_label, revised)


def _data_label(conn: duckdb.DuckDBPyConnection, src: NomisSource) -> str:
    """Where a table is only published for LSOAs, provenance says the ward figures are best-fit aggregates."""
    lsoa_level = conn.execute(LSOA_LEVEL_SQL, [src.role]).fetchall()[0][0]
    return f"{src.dataset} (2021 LSOAs; aggregated to wards by LSOA21 best fit)" if lsoa_level else src.dataset


def _check_months(conn: duckdb.DuckDBPyConnection, loaded: LoadedQuery, months: list[str], what: str) -> None:
    """Every month asked for arrived, or nothing is loaded (a month not yet released is not an empty one)."""
    staging = quote_ident(loaded.staging)
    got = {r[0] for r in conn.execute(LOADED_MONTHS_SQL.format(staging=staging)).fetchall()}
    if set(months) - got:
        conn.execute(f"DROP TABLE {staging}")
        raise UpstreamError(f"{what}: Nomis returned no rows for {sorted(set(months) - got)}; "
                            "those months may not be released yet. Nothing was loaded.")
