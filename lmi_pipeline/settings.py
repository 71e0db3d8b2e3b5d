"""Environment settings: one typed object built from environment variables.

Every setting has a safe default, so a fresh clone runs the demo with no `.env` at all.
See `.env.example` for the documented list.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SourceMode = Literal["demo", "live", "record"]
SOURCE_MODES: tuple[str, ...] = ("demo", "live", "record")

DEFAULT_NOMIS_URL = "https://www.nomisweb.co.uk/api/v01"
DEFAULT_ONS_GEO_URL = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
DEFAULT_DFE_URL = "https://api.education.gov.uk/statistics/v1"
DEFAULT_DFE_CONTENT_URL = "https://content.explore-education-statistics.service.gov.uk/api"  # EES data catalogue
# Nomis rate-limits without publishing the limit; peers pause 0.5 s between pages. Four request starts a
# second, shared by the concurrent page fetches, keeps a big backfill polite.
DEFAULT_NOMIS_MAX_RPS = 4.0
# DuckDB's own default is 80% of RAM, and it keeps what it has touched cached up to that. With a cap it
# evicts and spills instead: a national run peaks at 1.3 GB (docs/performance.md).
DEFAULT_DUCKDB_MEMORY_LIMIT = "1GB"
_MEMORY_LIMIT = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


class SettingsError(ValueError):
    """A setting in the environment is invalid."""


class UnwritableDirectoryError(SettingsError):
    """A folder lmi writes (data, working files, published files) cannot be written. One line, naming it."""


@dataclass(frozen=True)
class Settings:
    source_mode: SourceMode
    nomis_url: str
    ons_geo_url: str
    dfe_url: str
    nomis_uid: str | None
    nomis_max_rps: float  # polite pacing of Nomis requests; 0 = none (local servers)
    duckdb_memory_limit: str  # DuckDB's memory_limit for the working database and publishing
    project_dir: Path
    areas_file: Path
    data_dir: Path
    assets_dir: Path
    snapshot_dir: Path
    dfe_content_url: str = DEFAULT_DFE_CONTENT_URL  # EES content API (data catalogue): the DfE fallback route
    upstream_backoff_seconds: float = 1.0  # first retry wait of every client (doubling: 1, 2, 4, 8, 16 s)

    @property
    def published_db(self) -> Path:
        return self.data_dir / "lmi.duckdb"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def data_family(self) -> str:
        """"demo" (synthetic, or replayed recordings) or "live" (live and record modes): each has its own
        working database and staging folder, so figures of one never reach a publication of the other."""
        return "demo" if self.source_mode == "demo" else "live"

    @property
    def family_dir(self) -> Path:
        return self.work_dir / self.data_family

    @property
    def work_db(self) -> Path:
        return self.family_dir / "lmi_build.duckdb"

    @property
    def staging_dir(self) -> Path:
        """Published files are built here, then moved into `assets/` by the publish step."""
        return self.family_dir / "staging"

    def writable_dirs(self) -> list[tuple[str, Path]]:
        """(what, folder) for every folder a run writes: checked before any network call (check_writable)."""
        return [("data directory (LMI_DATA_DIR)", self.data_dir), ("working directory", self.family_dir),
                ("assets directory (LMI_ASSETS_DIR)", self.assets_dir)]

    def check_writable(self) -> None:
        """Raise UnwritableDirectoryError, naming the folder, if a run could not write one of its folders."""
        check_writable(self.writable_dirs())


WORK_DB_NAME = "lmi_build.duckdb"
PUBLISHED_DB_NAME = "lmi.duckdb"


def data_dir_of(work_db: Path) -> Path | None:
    """The data directory a working database `<data>/work/<family>/lmi_build.duckdb` belongs to (the layout
    Settings gives), or None for a working database kept anywhere else."""
    work_db = Path(work_db)
    if work_db.name == WORK_DB_NAME and work_db.parent.name in ("demo", "live") and work_db.parent.parent.name == "work":
        return work_db.parent.parent.parent
    return None


def check_writable(dirs: list[tuple[str, Path]]) -> None:
    """Each folder must be one this user can create files in: the folder itself or, if it does not exist yet,
    the nearest folder above it (a run creates the rest). Raises UnwritableDirectoryError on the first that
    is not, in one line naming it, why, and what to do. Reads only: nothing is created here."""
    for what, folder in dirs:
        folder = Path(folder)
        existing = folder
        while not existing.exists() and existing.parent != existing:
            existing = existing.parent
        if not existing.is_dir():
            raise UnwritableDirectoryError(
                f"the {what} {folder} cannot be created: {existing} is a file, not a folder. Move that file "
                "aside, or point the setting at a folder; nothing was fetched or written.")
        if os.access(existing, os.W_OK | os.X_OK):
            continue
        try:
            read_only = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        why = "it is on a read-only file system" if read_only else "this user may not write to it (permissions)"
        where = str(folder) if existing == folder else f"{folder} (its parent {existing} exists)"
        raise UnwritableDirectoryError(
            f"the {what} {where} is not writable: {why}. lmi writes its databases, lock and published files there; "
            "make it writable for this user, or point the setting at a writable folder. Nothing was fetched or "
            "written.")


def _path(env: dict[str, str], name: str, default: Path, root: Path) -> Path:
    raw = env.get(name)
    path = Path(raw) if raw else default
    return path if path.is_absolute() else (root / path)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from `env` (default: `os.environ`). Paths are relative to LMI_PROJECT_DIR or the CWD."""
    env = dict(os.environ if env is None else env)
    mode = env.get("LMI_SOURCE", "demo").strip().lower()
    if mode not in SOURCE_MODES:
        raise SettingsError(
            f"LMI_SOURCE={mode!r} is not a source mode; use one of {', '.join(SOURCE_MODES)} "
            "(demo replays the bundled synthetic snapshot, live calls the real APIs, record calls them and saves responses)."
        )
    raw_rps = env.get("NOMIS_MAX_REQUESTS_PER_SECOND") or str(DEFAULT_NOMIS_MAX_RPS)
    try:
        nomis_max_rps = float(raw_rps)
        if nomis_max_rps < 0:
            raise ValueError
    except ValueError:
        raise SettingsError(f"NOMIS_MAX_REQUESTS_PER_SECOND={raw_rps!r} must be a number >= 0 "
                            f"(0 = no pacing; default {DEFAULT_NOMIS_MAX_RPS}).") from None
    memory_limit = (env.get("LMI_DUCKDB_MEMORY_LIMIT") or DEFAULT_DUCKDB_MEMORY_LIMIT).strip()
    if not _MEMORY_LIMIT.match(memory_limit):
        raise SettingsError(f"LMI_DUCKDB_MEMORY_LIMIT={memory_limit!r} is not a size; write it like 1GB, 1536MB or "
                            f"2GiB (default {DEFAULT_DUCKDB_MEMORY_LIMIT}).")
    raw_backoff = env.get("UPSTREAM_BACKOFF_SECONDS") or "1.0"
    try:
        backoff = float(raw_backoff)
        if not 0 <= backoff <= 60:
            raise ValueError
    except ValueError:
        raise SettingsError(f"UPSTREAM_BACKOFF_SECONDS={raw_backoff!r} must be a number of seconds from 0 to 60 "
                            "(the first retry's wait; each later one doubles; default 1).") from None
    root = Path(env.get("LMI_PROJECT_DIR") or os.getcwd()).resolve()
    data_dir = _path(env, "LMI_DATA_DIR", Path("data"), root)
    return Settings(
        source_mode=mode,  # type: ignore[arg-type]
        nomis_url=env.get("NOMIS_BASE_URL") or DEFAULT_NOMIS_URL,
        ons_geo_url=env.get("ONS_GEO_BASE_URL") or DEFAULT_ONS_GEO_URL,
        dfe_url=env.get("DFE_BASE_URL") or DEFAULT_DFE_URL,
        nomis_uid=env.get("NOMIS_UID") or None,
        nomis_max_rps=nomis_max_rps,
        duckdb_memory_limit=memory_limit,
        project_dir=root,
        areas_file=_path(env, "LMI_AREAS_FILE", Path("lmi.toml"), root),
        data_dir=data_dir,
        assets_dir=_path(env, "LMI_ASSETS_DIR", Path("assets"), root),
        snapshot_dir=_path(env, "LMI_SNAPSHOT_DIR", data_dir / "snapshot", root),
        dfe_content_url=env.get("DFE_CONTENT_URL") or DEFAULT_DFE_CONTENT_URL,
        upstream_backoff_seconds=backoff,
    )
