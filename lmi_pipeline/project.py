"""The project resource: where things live, which areas to cover, and how figures are labelled."""

from __future__ import annotations

import shutil
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
    staging_dir: str = "data/work/demo/staging"
    work_db: str = "data/work/demo/lmi_build.duckdb"  # read by refresh planning (the warehouse resource writes it)

    def areas(self) -> AreasConfig:
        return load_areas(Path(self.areas_file))

    def staging_area(self, owner: str) -> Path:
        """An asset's own folder in the staging area, emptied: what it stages now replaces what it staged
        before (say for districts no longer configured), and the publish step moves exactly that."""
        folder = Path(self.staging_dir) / owner
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        return folder

    def staged(self, owner: str, relative: str) -> Path:
        """Where `owner` builds a published file before the publish step moves it to assets/<relative>."""
        path = Path(self.staging_dir) / owner / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def published(self, relative: str) -> Path:
        return Path(self.assets_dir) / relative
