"""What a published table and its columns are, for people: plain data, read by the exports README, the
DuckDB comments of the published database and the Dagster column schemas."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Column:
    name: str
    type: str  # the DuckDB type the published table holds (checked against a built database by the tests)
    description: str


@dataclass(frozen=True, kw_only=True)
class Table:
    name: str
    grain: str  # what one row is: "one row per <grain>"
    # In table order. Empty: the table is described here, its columns only in docs/data-dictionary.md so far.
    columns: tuple[Column, ...] = ()
    is_view: bool = False

    @property
    def description(self) -> str:
        return f"One row per {self.grain}."
