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
