"""The project resource: where things live, which areas to cover, and how figures are labelled."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from lmi_pipeline.geography.areas import AreasConfig, load_areas
from lmi_pipeline.settings import check_writable

# The data_label provenance.sql gives figures from the demo generator (origin "synthetic").
SYNTHETIC_LABEL = "synthetic demo data"


def is_synthetic(label: str) -> bool:
    """Whether a data label, one or several joined ("bundled copy ... + synthetic demo data"), includes
    synthetic demo data: what the report, charts and exports README shout about."""
    return SYNTHETIC_LABEL in label


class ProjectResource(dg.ConfigurableResource):
    """Paths and the areas file. Assets ask it instead of reading the environment themselves."""

    areas_file: str = "lmi.toml"
    source_mode: str = "demo"
    published_db: str = "data/lmi.duckdb"
    assets_dir: str = "assets"
    staging_dir: str = "data/work/demo/staging"
    work_db: str = "data/work/demo/lmi_build.duckdb"  # read by refresh planning (the warehouse resource writes it)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Before any step of a run (and so before any request): the folders it writes must be writable."""
        check_writable(self.writable_dirs())

    def writable_dirs(self) -> list[tuple[str, Path]]:
        return [("data directory (LMI_DATA_DIR)", Path(self.published_db).parent),
                ("working directory", Path(self.work_db).parent),
                ("assets directory (LMI_ASSETS_DIR)", Path(self.assets_dir)),
                ("staging directory", Path(self.staging_dir))]

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
