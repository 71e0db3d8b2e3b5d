"""Geography without Dagster: the bundled ONS reference and how ONS county codes are read."""
