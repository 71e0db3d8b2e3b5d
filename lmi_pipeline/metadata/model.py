"""What a published table and its columns are, for people: plain data, read by the exports README, the
DuckDB comments of the published database, the Dagster column schemas and the data dictionary."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, kw_only=True)
class Column:
    name: str
    type: str  # the DuckDB type the published table holds (checked against a built database by the tests)
    description: str

    def as_type(self, type: str) -> Column:
        """The same column held with another type (e.g. INTEGER where most tables hold BIGINT)."""
        return replace(self, type=type)


@dataclass(frozen=True, kw_only=True)
class Table:
    name: str
    grain: str  # what one row is: "one row per <grain>"
    columns: tuple[Column, ...] = ()  # in table order
    # The description of any held column not listed: a raw file whose columns are the upstream's (they change
    # with its schema) lists only those the pipeline adds.
    other_columns: str = ""
    is_view: bool = False

    @property
    def description(self) -> str:
        return f"One row per {self.grain}."
