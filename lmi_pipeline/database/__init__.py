"""The DuckDB files (foundation): the database resource, SQL files and helpers, the raw-to-typed macros, and the journalled atomic publication."""
