"""lmi_pipeline.metadata: the one description of the published tables, seen in DuckDB and in Dagster."""

import re

import duckdb
import pytest

from lmi_demo.snapshot import build_demo_snapshot
from lmi_pipeline.metadata import TABLES, apply_comments
from lmi_pipeline.settings import load_settings
from tests.conftest import ROOT, make_project, run_pipeline

# Tables no asset of their own materialises (a view, and the state the source assets keep as they run).
NOT_ASSETS = {"lmi_gaps_to_fill", "source_requests", "source_status", "source_area_hashes", "source_revisions"}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The database one demo-mode run publishes (the default lmi.toml, as `make run`)."""
    project = make_project(tmp_path_factory.mktemp("columns"), (ROOT / "lmi.toml").read_text())
    settings = load_settings({"LMI_SOURCE": "demo", "LMI_PROJECT_DIR": str(project)})
    build_demo_snapshot(settings)
    assert run_pipeline(settings).success
    return settings.published_db


def test_every_published_table_asset_carries_its_column_schema():
    from lmi_pipeline.definitions import defs

    specs = {spec.key.to_user_string(): spec for spec in defs().resolve_all_asset_specs()}
    assert set(TABLES) - set(specs) == NOT_ASSETS
    for table in set(TABLES) - NOT_ASSETS:
        schema = specs[table].metadata["dagster/column_schema"]
        assert [(c.name, c.type, c.description) for c in schema.columns] == [
            (c.name, c.type, c.description) for c in TABLES[table].columns], table
        assert all(c.description for c in schema.columns), table


def test_every_published_table_and_column_has_its_description_in_duckdb(published):
    with duckdb.connect(str(published), read_only=True) as conn:
        tables = dict(conn.execute("SELECT table_name, comment FROM duckdb_tables() UNION ALL "
                                   "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal").fetchall())
        columns = conn.execute("SELECT table_name, column_name, data_type, comment FROM duckdb_columns() "
                               "WHERE NOT internal AND schema_name = 'main' ORDER BY table_name, column_index").fetchall()
    assert set(tables) == set(TABLES)
    assert {name: comment for name, comment in tables.items() if comment != TABLES[name].description} == {}
    assert [f"{t}.{c}" for t, c, _, comment in columns if not comment] == []
    held: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type, _ in columns:
        held.setdefault(table, []).append((column, data_type))
    for table in TABLES.values():
        listed = [(c.name, c.type) for c in table.columns]
        # An empty list's type ("NULL"[]) is DuckDB's guess, not the column's: areas_config with nothing named.
        actual = [(n, t) if '"NULL"' not in t else (n, dict(listed).get(n)) for n, t in held[table.name]]
        if table.other_columns:  # the upstream's own columns, whatever they are, plus those listed
            assert set(listed) <= set(actual), table.name
        else:
            assert actual == listed, table.name


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


def test_the_data_dictionary_is_generated_from_the_metadata():
    """docs/data-dictionary.md is `python -m lmi_pipeline.metadata`'s output: edited by hand, it would drift."""
    from lmi_pipeline.metadata.dictionary import DICTIONARY, render

    assert DICTIONARY.read_text(encoding="utf-8") == render(), "run: python -m lmi_pipeline.metadata"
    for table in TABLES.values():
        assert f"### `{table.name}`" in render()


@pytest.mark.parametrize("edit, message", [
    (('"lad_code", "lad_name",', '"lad_code", "lad_nmae",'),
     "geography.toml [districts]: 'lad_nmae' is neither a shared column nor an earlier table's column."),
    (('grain = "configured district"', 'grain = "configured district"\ngrian = "x"'),
     "geography.toml [districts]: unknown key(s) ['grian']"),
    (('{ name = "kind", type = "VARCHAR", description', '{ name = "kind", typ = "VARCHAR", description'),
     "geography.toml [districts]: a column needs exactly name, type and description"),
])
def test_a_mistake_in_the_descriptions_is_named_where_it_is(tmp_path, edit, message):
    """The TOML files are checked as they are read: a misspelt reference or key names its file and table."""
    from lmi_pipeline.metadata.loading import HERE, MetadataError, load_tables

    for path in HERE.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    geography = tmp_path / "geography.toml"
    text = geography.read_text(encoding="utf-8")
    assert edit[0] in text
    geography.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(MetadataError, match="^" + re.escape(message)):
        load_tables(tmp_path)
    assert load_tables(HERE)[0].keys() == TABLES.keys()
