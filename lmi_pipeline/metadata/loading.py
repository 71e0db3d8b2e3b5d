"""Read the table descriptions from this folder's TOML files into `Table`s, checking them as they are read.

Descriptions are data, so they live in data files: `shared.toml` (columns many tables hold) and one file
per part of the flow, each naming its heading in the data dictionary and its tables in order.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from lmi_pipeline.metadata.model import Column, Table

HERE = Path(__file__).resolve().parent
# The parts of the flow, in the order the dictionary and the exports README list them.
PARTS = ("indicators", "analyses", "geography", "warehouse", "provenance", "raw")
_TABLE_KEYS = {"grain", "columns", "is_view", "other_columns"}


class MetadataError(ValueError):
    pass


def _read(name: str, folder: Path) -> dict:
    path = folder / f"{name}.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise MetadataError(f"{path.name}: not valid TOML ({exc}); fix the file.") from exc


def _column(entry: dict, where: str) -> Column:
    if set(entry) != {"name", "type", "description"}:
        raise MetadataError(f"{where}: a column needs exactly name, type and description; it has {sorted(entry)}.")
    return Column(**entry)


def shared_columns(folder: Path = HERE) -> dict[str, Column]:
    doc = _read("shared", folder)
    pool: dict[str, Column] = {}
    for group in ("shared", "nomis"):
        for entry in doc.get(group, []):
            column = _column(entry, f"shared.toml [{group}]")
            if column.name in pool:
                raise MetadataError(f"shared.toml: the column {column.name!r} is described twice.")
            pool[column.name] = column
    return pool


def _resolve(item: str | dict, known: dict[str, Column], where: str) -> Column:
    if isinstance(item, str):
        if item not in known:
            raise MetadataError(f"{where}: {item!r} is neither a shared column nor an earlier table's column.")
        return known[item]
    if "like" in item:
        if set(item) != {"like", "type"}:
            raise MetadataError(f"{where}: {{ like = ... }} takes only a type beside it, not {sorted(item)}.")
        return _resolve(item["like"], known, where).as_type(item["type"])
    return _column(item, where)


def load_tables(folder: Path = HERE) -> tuple[dict[str, Table], dict[str, list[str]]]:
    """Every described table by name (in listing order), and each dictionary heading's table names."""
    known = shared_columns(folder)
    tables: dict[str, Table] = {}
    sections: dict[str, list[str]] = {}
    for part in PARTS:
        doc = _read(part, folder)
        heading = doc.pop("heading", part)
        sections[heading] = list(doc)
        for name, spec in doc.items():
            where = f"{part}.toml [{name}]"
            if name in tables:
                raise MetadataError(f"{where}: the table is described twice.")
            if unknown := set(spec) - _TABLE_KEYS:
                raise MetadataError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(_TABLE_KEYS)}.")
            columns = tuple(_resolve(item, known, where) for item in spec.get("columns", []))
            names = [c.name for c in columns]
            if len(set(names)) != len(names):
                raise MetadataError(f"{where}: a column is listed twice.")
            known.update({f"{name}.{c.name}": c for c in columns})
            tables[name] = Table(name=name, grain=spec["grain"], columns=columns,
                                 other_columns=spec.get("other_columns", ""), is_view=spec.get("is_view", False))
    return tables, sections

