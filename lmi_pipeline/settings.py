"""Environment settings: one typed object built from environment variables (read by pydantic-settings).

Every setting has a safe default, so a fresh clone runs the demo with no `.env` at all.
See `.env.example` for the documented list.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

SourceMode = Literal["demo", "live", "record"]
SOURCE_MODES: tuple[str, ...] = ("demo", "live", "record")

DEFAULT_NOMIS_URL = "https://www.nomisweb.co.uk/api/v01"
DEFAULT_ONS_GEO_URL = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
DEFAULT_DFE_URL = "https://api.education.gov.uk/statistics/v1"
DEFAULT_DFE_CONTENT_URL = "https://content.explore-education-statistics.service.gov.uk/api"  # EES data catalogue
DEFAULT_STATXPLORE_URL = "https://stat-xplore.dwp.gov.uk/webapi/rest/v1"  # DWP Stat-Xplore Open Data API
DEFAULT_MHCLG_URL = "https://assets.publishing.service.gov.uk"  # GOV.UK's asset host: MHCLG's IoD 2025 files
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
    statxplore_url: str = DEFAULT_STATXPLORE_URL
    # Optional: a free Stat-Xplore account's Open Data API key. Without it the UC source loads nothing.
    statxplore_api_key: str | None = field(default=None, repr=False)
    mhclg_url: str = DEFAULT_MHCLG_URL
    # Rows the IoD 2025 File 7 must have: every English 2021 LSOA. A stand-in server (the tests' synthetic
    # upstream) serves a file for its own areas and says how many; 0 = not checked.
    mhclg_expected_lsoas: int = 33_755

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


class _Environment(BaseSettings):
    """The environment variables lmi reads (`.env.example` documents them), each validated with the message
    `load_settings` raises. Empty counts as unset, as in a `.env` line `NOMIS_UID=`."""

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore", frozen=True)

    source_mode: SourceMode = Field("demo", alias="LMI_SOURCE")
    nomis_url: str = Field(DEFAULT_NOMIS_URL, alias="NOMIS_BASE_URL")
    ons_geo_url: str = Field(DEFAULT_ONS_GEO_URL, alias="ONS_GEO_BASE_URL")
    dfe_url: str = Field(DEFAULT_DFE_URL, alias="DFE_BASE_URL")
    dfe_content_url: str = Field(DEFAULT_DFE_CONTENT_URL, alias="DFE_CONTENT_URL")
    nomis_uid: Optional[str] = Field(None, alias="NOMIS_UID")
    nomis_max_rps: float = Field(DEFAULT_NOMIS_MAX_RPS, alias="NOMIS_MAX_REQUESTS_PER_SECOND")
    duckdb_memory_limit: str = Field(DEFAULT_DUCKDB_MEMORY_LIMIT, alias="LMI_DUCKDB_MEMORY_LIMIT")
    upstream_backoff_seconds: float = Field(1.0, alias="UPSTREAM_BACKOFF_SECONDS")
    statxplore_url: str = Field(DEFAULT_STATXPLORE_URL, alias="STATXPLORE_URL")
    statxplore_api_key: Optional[str] = Field(None, alias="STATXPLORE_API_KEY", repr=False)
    mhclg_url: str = Field(DEFAULT_MHCLG_URL, alias="MHCLG_BASE_URL")
    mhclg_expected_lsoas: int = Field(33_755, ge=0, alias="MHCLG_EXPECTED_LSOAS")
    project_dir: Optional[str] = Field(None, alias="LMI_PROJECT_DIR")
    data_dir: Optional[str] = Field(None, alias="LMI_DATA_DIR")
    areas_file: Optional[str] = Field(None, alias="LMI_AREAS_FILE")
    assets_dir: Optional[str] = Field(None, alias="LMI_ASSETS_DIR")
    snapshot_dir: Optional[str] = Field(None, alias="LMI_SNAPSHOT_DIR")

    @field_validator("source_mode", mode="before")
    @classmethod
    def _source_mode(cls, value: Any) -> str:
        mode = str(value).strip().lower()
        if mode not in SOURCE_MODES:
            raise _refuse(f"LMI_SOURCE={mode!r} is not a source mode; use one of {', '.join(SOURCE_MODES)} (demo "
                          "replays the bundled synthetic snapshot, live calls the real APIs, record calls them and "
                          "saves responses).")
        return mode

    @field_validator("nomis_max_rps", mode="before")
    @classmethod
    def _nomis_max_rps(cls, value: Any) -> float:
        rps = _number(value)
        if rps is None or not rps >= 0:
            raise _refuse(f"NOMIS_MAX_REQUESTS_PER_SECOND={value!r} must be a number >= 0 (0 = no pacing; default "
                          f"{DEFAULT_NOMIS_MAX_RPS}).")
        return rps

    @field_validator("duckdb_memory_limit", mode="before")
    @classmethod
    def _memory_limit(cls, value: Any) -> str:
        limit = str(value).strip()
        if not _MEMORY_LIMIT.match(limit):
            raise _refuse(f"LMI_DUCKDB_MEMORY_LIMIT={limit!r} is not a size; write it like 1GB, 1536MB or 2GiB "
                          f"(default {DEFAULT_DUCKDB_MEMORY_LIMIT}).")
        return limit

    @field_validator("upstream_backoff_seconds", mode="before")
    @classmethod
    def _backoff(cls, value: Any) -> float:
        backoff = _number(value)
        if backoff is None or not 0 <= backoff <= 60:
            raise _refuse(f"UPSTREAM_BACKOFF_SECONDS={value!r} must be a number of seconds from 0 to 60 (the first "
                          "retry's wait; each later one doubles; default 1).")
        return backoff


class _GivenEnvironment(_Environment):
    """A mapping given to load_settings (tests, benchmarks) is all there is: os.environ is not consulted."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_environment_sources):
        return (init_settings,)


def _refuse(message: str) -> PydanticCustomError:
    return PydanticCustomError("lmi_setting", "{message}", {"message": message})


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _read_environment(env: Mapping[str, str] | None) -> _Environment:
    try:
        if env is None:
            return _Environment()  # pydantic-settings reads os.environ
        return _GivenEnvironment(**{k: v for k, v in env.items() if v})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        if error["type"] == "lmi_setting":
            raise SettingsError(error["ctx"]["message"]) from None
        raise SettingsError(f"{error['loc'][0]}: {error['msg']}.") from None  # a plain-text setting never gets here


def _path(raw: str | None, default: Path, root: Path) -> Path:
    path = Path(raw) if raw else default
    return path if path.is_absolute() else (root / path)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from `env` (default: `os.environ`). Paths are relative to LMI_PROJECT_DIR or the CWD."""
    read = _read_environment(env)
    root = Path(read.project_dir or os.getcwd()).resolve()
    data_dir = _path(read.data_dir, Path("data"), root)
    return Settings(
        source_mode=read.source_mode,
        nomis_url=read.nomis_url,
        ons_geo_url=read.ons_geo_url,
        dfe_url=read.dfe_url,
        nomis_uid=read.nomis_uid,
        nomis_max_rps=read.nomis_max_rps,
        duckdb_memory_limit=read.duckdb_memory_limit,
        project_dir=root,
        areas_file=_path(read.areas_file, Path("lmi.toml"), root),
        data_dir=data_dir,
        assets_dir=_path(read.assets_dir, Path("assets"), root),
        snapshot_dir=_path(read.snapshot_dir, data_dir / "snapshot", root),
        dfe_content_url=read.dfe_content_url,
        upstream_backoff_seconds=read.upstream_backoff_seconds,
        statxplore_url=read.statxplore_url,
        statxplore_api_key=read.statxplore_api_key,
        mhclg_url=read.mhclg_url,
        mhclg_expected_lsoas=read.mhclg_expected_lsoas,
    )
