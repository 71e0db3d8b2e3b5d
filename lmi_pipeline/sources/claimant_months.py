"""Claimant-count partitions: one per month Nomis has published, never one for a month still to come.

Dynamic partitions, extended by every plan of a run (`lmi run`, `lmi refresh`, the refresh_on_release
sensor) up to the latest month Nomis reports, so the UI's "Materialize all" and "Latest" only ever point at
months that exist. Keys are always added oldest first from FIRST_MONTH (whatever `start_month` says),
because a partition range is read in the order keys were added. Plain logic: planning (refresh.py) extends
them; defs/partitions.py gives the asset its partitions definition from here.
"""

import dagster as dg

from lmi_pipeline.periods import months

FIRST_MONTH = "2013-01"  # Nomis publishes ward-level claimant counts from January 2013
claimant_months = dg.DynamicPartitionsDefinition(name="claimant_months")


def month_key(month: str) -> str:
    """'2026-10' -> '2026-10-01', the partition key of a month."""
    return f"{month}-01"


def extend_claimant_months(instance: dg.DagsterInstance, latest_month: str) -> list[str]:
    """Add the partitions up to `latest_month` that the instance lacks; returns the keys added."""
    have = set(instance.get_dynamic_partitions(claimant_months.name))
    new = [month_key(m) for m in months(FIRST_MONTH, latest_month) if month_key(m) not in have]
    if new:
        instance.add_dynamic_partitions(claimant_months.name, new)
    return new
