import os

import dagster as dg

from lmi_pipeline.clients.dfe import DfeResource
from lmi_pipeline.clients.mhclg import MhclgResource
from lmi_pipeline.clients.nomis import NomisResource
from lmi_pipeline.clients.ons_geo import OnsGeoResource
from lmi_pipeline.clients.statxplore import StatXploreResource
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.runtime.run_start import RunLockResource
from lmi_pipeline.settings import Settings, load_settings


def build_resources(settings: Settings, record_origin: str = "recorded") -> dict[str, dg.ConfigurableResource]:
    """Every resource, configured from one Settings object (tests build their own Settings)."""
    common = {"source_mode": settings.source_mode, "snapshot_dir": str(settings.snapshot_dir),
              "record_origin": record_origin, "backoff_seconds": settings.upstream_backoff_seconds}
    # The key stays an EnvVar when it comes from the environment, so Dagster resolves it at run time and
    # never shows or stores its value.
    uid = None
    if settings.nomis_uid:
        uid = dg.EnvVar("NOMIS_UID") if os.environ.get("NOMIS_UID") == settings.nomis_uid else settings.nomis_uid
    sx_key = None
    if settings.statxplore_api_key:
        sx_key = (dg.EnvVar("STATXPLORE_API_KEY") if os.environ.get("STATXPLORE_API_KEY") == settings.statxplore_api_key
                  else settings.statxplore_api_key)
    return {
        "statxplore": StatXploreResource(base_url=settings.statxplore_url, api_key=sx_key, **common),
        "nomis": NomisResource(base_url=settings.nomis_url, uid=uid, max_requests_per_second=settings.nomis_max_rps,
                               **common),
        "ons_geo": OnsGeoResource(base_url=settings.ons_geo_url, **common),
        "mhclg": MhclgResource(base_url=settings.mhclg_url, expected_lsoas=settings.mhclg_expected_lsoas, **common),
        "dfe": DfeResource(base_url=settings.dfe_url, content_url=settings.dfe_content_url, **common),
        "warehouse": WarehouseResource(
            database=str(settings.work_db), memory_limit=settings.duckdb_memory_limit,
            run_lock=RunLockResource(lock_dir=str(settings.work_dir), publish_dir=str(settings.data_dir),
                                     work_db=str(settings.work_db))),
        "project": ProjectResource(
            areas_file=str(settings.areas_file),
            source_mode=settings.source_mode,
            published_db=str(settings.published_db),
            assets_dir=str(settings.assets_dir),
            staging_dir=str(settings.staging_dir),
            work_db=str(settings.work_db),
        ),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(load_settings()))
