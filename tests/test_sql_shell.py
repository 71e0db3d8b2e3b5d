"""`lmi sql`: the published database, read-only, with nothing else installed (a real DuckDB file)."""

import io
import os

import duckdb
import pytest

from lmi_pipeline.cli import main
from lmi_pipeline.operations.sql_shell import MAX_ROWS, shell


@pytest.fixture
def published(tmp_path, monkeypatch):
    (tmp_path / "lmi.toml").write_text('[[local_authority]]\ncode = "E07000062"\n')
    (tmp_path / "data").mkdir()
    db = tmp_path / "data" / "lmi.duckdb"
    with duckdb.connect(str(db)) as conn:
        conn.execute("CREATE TABLE ward_indicators AS SELECT 'E05011207' AS ward_code, 'Gensing' AS ward_name, "
                     "6.5 AS value UNION ALL SELECT 'E05011204', 'Castle', NULL")
        conn.execute(f"CREATE TABLE many AS SELECT range AS n FROM range({MAX_ROWS + 5})")
    os.chmod(db, 0o444)
    monkeypatch.setenv("LMI_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("LMI_SOURCE", "demo")
    return db


def test_a_query_prints_its_rows_with_nulls_named(published, capsys):
    assert main(["sql", "SELECT ward_name, value FROM ward_indicators ORDER BY ward_name"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "----------+------"
    assert [line.split("|")[0].strip() for line in lines[:1] + lines[2:]] == ["ward_name", "Castle", "Gensing",
                                                                              "(2 rows)"]
    assert lines[2].split("|")[1].strip() == "NULL" and lines[3].split("|")[1].strip() == "6.5"


def test_writing_is_refused_and_a_bad_query_is_one_line(published, capsys):
    assert main(["sql", "DELETE FROM ward_indicators"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lmi sql: ") and "read-only" in err and len(err.strip().splitlines()) == 1, err
    assert main(["sql", "SELECT nope FROM ward_indicators"]) == 2
    assert 'Referenced column "nope" not found' in capsys.readouterr().err
    with duckdb.connect(str(published), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM ward_indicators").fetchone()[0] == 2


def test_piped_statements_run_in_turn_and_a_failure_does_not_stop_the_rest(published):
    out, err = io.StringIO(), io.StringIO()
    lines = ["SELECT count(*) AS n\n", "FROM ward_indicators;\n", "SELECT bad;\n", "SELECT count(*) AS m FROM many;\n",
             "SELECT n FROM many;\n", "SELECT 1"]
    with duckdb.connect(str(published), read_only=True) as conn:
        code = shell(conn, lines, interactive=False, out=out, err=err)
    assert code == 1  # a script learns that something failed
    text = out.getvalue()
    assert "n\n-\n2\n(1 row)" in text and f"{MAX_ROWS + 5}" in text
    assert f"({MAX_ROWS} rows (more not shown" in text
    assert err.getvalue().count("lmi sql: ") == 2 and "no closing ';'" in err.getvalue()


def test_no_publication_yet_says_what_to_run(tmp_path, monkeypatch, capsys):
    (tmp_path / "lmi.toml").write_text('[[local_authority]]\ncode = "E07000062"\n')
    monkeypatch.setenv("LMI_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("LMI_SOURCE", "demo")
    assert main(["sql", "SELECT 1"]) == 2
    err = capsys.readouterr().err
    assert "no published database at" in err and "make run" in err and not (tmp_path / "data" / "lmi.duckdb").exists()
