"""Month ranges, as the YYYY-MM strings Nomis uses."""

import pandas as pd


def months(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` inclusive ('2013-01', ..., '2026-10'); empty if last < first."""
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")] if last >= first else []
