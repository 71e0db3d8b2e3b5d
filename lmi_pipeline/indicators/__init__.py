"""Plain logic of the indicators layer (no Dagster wiring): the indicator catalogue."""
