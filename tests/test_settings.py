"""Environment settings: defaults, where they are read from, and one-line messages for bad values."""

from pathlib import Path

import pytest

from lmi_pipeline.settings import DEFAULT_NOMIS_URL, SettingsError, load_settings


def test_defaults_need_no_environment(tmp_path):
    settings = load_settings({"LMI_PROJECT_DIR": str(tmp_path)})
    assert settings.source_mode == "demo" and settings.nomis_url == DEFAULT_NOMIS_URL and settings.nomis_uid is None
    assert settings.published_db == tmp_path.resolve() / "data" / "lmi.duckdb"
    assert settings.snapshot_dir == tmp_path.resolve() / "data" / "snapshot"
    assert (settings.nomis_max_rps, settings.duckdb_memory_limit, settings.upstream_backoff_seconds) == (4.0, "1GB", 1.0)


def test_read_from_the_environment_where_empty_means_unset(tmp_path, monkeypatch):
    monkeypatch.setenv("LMI_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("LMI_SOURCE", " Live ")
    monkeypatch.setenv("NOMIS_UID", "")  # as `.env.example` leaves it
    monkeypatch.setenv("LMI_DATA_DIR", "elsewhere")
    monkeypatch.setenv("lmi_assets_dir", "not/this")  # names are case-sensitive, as the shell's are
    settings = load_settings()
    assert settings.source_mode == "live" and settings.nomis_uid is None
    assert settings.data_dir == tmp_path.resolve() / "elsewhere" and settings.assets_dir == tmp_path.resolve() / "assets"


def test_a_mapping_given_is_all_there_is(tmp_path, monkeypatch):
    monkeypatch.setenv("LMI_SOURCE", "live")
    monkeypatch.setenv("NOMIS_UID", "from-the-shell")
    settings = load_settings({"LMI_PROJECT_DIR": str(tmp_path), "LMI_SNAPSHOT_DIR": "/abs/snap"})
    assert settings.source_mode == "demo" and settings.nomis_uid is None and settings.snapshot_dir == Path("/abs/snap")


@pytest.mark.parametrize("name,value,message", [
    ("LMI_SOURCE", "replay", "LMI_SOURCE='replay' is not a source mode; use one of demo, live, record (demo replays"),
    ("NOMIS_MAX_REQUESTS_PER_SECOND", "-1", "NOMIS_MAX_REQUESTS_PER_SECOND='-1' must be a number >= 0 (0 = no pacing"),
    ("NOMIS_MAX_REQUESTS_PER_SECOND", "nan", "NOMIS_MAX_REQUESTS_PER_SECOND='nan' must be a number >= 0"),
    ("UPSTREAM_BACKOFF_SECONDS", "inf", "UPSTREAM_BACKOFF_SECONDS='inf' must be a number of seconds from 0 to 60"),
    ("LMI_DUCKDB_MEMORY_LIMIT", "{lots}", "LMI_DUCKDB_MEMORY_LIMIT='{lots}' is not a size; write it like 1GB"),
])
def test_a_bad_value_is_refused_in_one_line(name, value, message):
    with pytest.raises(SettingsError) as err:
        load_settings({name: value})
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
