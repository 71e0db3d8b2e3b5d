"""scripts/compare_published.py: equal tables pass whatever their timestamps; any other difference is named."""

import importlib.util
from pathlib import Path

import duckdb

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "compare_published.py"
spec = importlib.util.spec_from_file_location("compare_published", SCRIPT)
compare_published = importlib.util.module_from_spec(spec)
spec.loader.exec_module(compare_published)


def _db(path: Path, rows: list[tuple], stamp: str) -> Path:
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE figures (area_code VARCHAR, value DOUBLE, retrieved_at TIMESTAMP)")
        conn.executemany("INSERT INTO figures VALUES (?, ?, ?)", [(*r, stamp) for r in rows])
        conn.execute("CREATE TABLE lookup (code VARCHAR)")
    return path


def test_equal_rows_in_another_order_and_another_run_time_are_equal(tmp_path, capsys):
    a = _db(tmp_path / "a.duckdb", [("E1", 1.0), ("E2", 2.0), ("E2", 2.0)], "2026-01-01")
    b = _db(tmp_path / "b.duckdb", [("E2", 2.0), ("E1", 1.0), ("E2", 2.0)], "2026-02-01")
    assert compare_published.main([str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "figures  equal, 3 rows (ignoring retrieved_at)" in out and "2 of 2 tables equal" in out


def test_a_changed_duplicate_or_missing_table_is_reported(tmp_path, capsys):
    a = _db(tmp_path / "a.duckdb", [("E1", 1.0), ("E2", 2.0), ("E2", 2.0)], "2026-01-01")
    b = _db(tmp_path / "b.duckdb", [("E1", 1.0), ("E2", 2.0), ("E3", 2.0)], "2026-01-01")
    with duckdb.connect(str(b)) as conn:
        conn.execute("DROP TABLE lookup")
    assert compare_published.main([str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "figures  DIFFERENT: 3 rows before, 3 after; 1 only before, 1 only after" in out
    assert "lookup   only in before" in out


def test_columns_named_to_ignore_are_left_out_and_said_so(tmp_path, capsys):
    a = _db(tmp_path / "a.duckdb", [("E1", 1.0)], "2026-01-01")
    b = _db(tmp_path / "b.duckdb", [("E1", 9.0)], "2026-01-01")
    assert compare_published.main([str(a), str(b)]) == 1
    capsys.readouterr()
    assert compare_published.main([str(a), str(b), "--ignore-columns", "value"]) == 0
    assert "figures  equal, 1 rows (ignoring value, retrieved_at)" in capsys.readouterr().out
