"""The project resource: where things live, which areas to cover, and how figures are labelled."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from lmi_pipeline.areas import AreasConfig, load_areas

SYNTHETIC_LABEL = "synthetic demo data"


class ProjectResource(dg.ConfigurableResource):
    """Paths and the areas file. Assets ask it instead of reading the environment themselves."""

    areas_file: str = "lmi.toml"
    source_mode: str = "demo"
    published_db: str = "data/lmi.duckdb"
    assets_dir: str = "assets"
    staging_dir: str = "data/work/staging"

    def areas(self) -> AreasConfig:
        return load_areas(Path(self.areas_file))

    def staged(self, relative: str) -> Path:
        """Where a published file is built before the publish step moves it under assets/."""
        path = Path(self.staging_dir) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def published(self, relative: str) -> Path:
        return Path(self.assets_dir) / relative
