"""Plain logic of publishing (no Dagster wiring): what a new publication would lose against the last one."""
