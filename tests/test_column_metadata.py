"""lmi_pipeline.metadata: the one description of the published tables, seen in DuckDB and in Dagster."""

import duckdb

from lmi_pipeline.metadata import TABLES, apply_comments
from tests.conftest import all_assets


def test_described_assets_carry_their_column_schema():
    specs = {spec.key.to_user_string(): spec for asset in all_assets() for spec in asset.specs}
    for table in ("ward_indicators", "priority_wards", "priority_sensitivity", "lmi_gaps"):
        schema = specs[table].metadata["dagster/column_schema"]
        assert [c.name for c in schema.columns] == [c.name for c in TABLES[table].columns]
        assert all(c.description for c in schema.columns)


def test_comments_survive_the_copy_to_a_duckdb_1_4_file(tmp_path):
    work, published = tmp_path / "work.duckdb", tmp_path / "published.duckdb"
    columns = ", ".join(f'"{c.name}" {c.type}' for c in TABLES["priority_sensitivity"].columns)
    with duckdb.connect(str(work)) as conn:
        conn.execute(f"CREATE TABLE priority_sensitivity ({columns})")
        conn.execute("CREATE TABLE provenance (query_id VARCHAR)")
        missing = apply_comments(conn)
    assert "priority_sensitivity" not in missing and "ward_indicators" in missing
    with duckdb.connect() as conn:
        conn.execute(f"ATTACH '{work}' AS work (READ_ONLY)")
        conn.execute(f"ATTACH '{published}' AS pub (STORAGE_VERSION 'v1.4.0')")
        conn.execute("COPY FROM DATABASE work TO pub")
        comments = dict(conn.execute("SELECT column_name, comment FROM duckdb_columns() WHERE database_name = 'pub' "
                                     "AND table_name = 'priority_sensitivity'").fetchall())
        table_comment = conn.execute("SELECT comment FROM duckdb_tables() WHERE database_name = 'pub' "
                                     "AND table_name = 'provenance'").fetchone()[0]
    assert comments == {c.name: c.description for c in TABLES["priority_sensitivity"].columns}
    assert table_comment == TABLES["provenance"].description
