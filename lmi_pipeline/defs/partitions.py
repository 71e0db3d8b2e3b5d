"""Claimant-count partitions (monthly, dynamic): defined, and extended by planning, in
lmi_pipeline/sources/claimant_months.py; here for the wiring that partitions an asset by them."""

from lmi_pipeline.sources.claimant_months import FIRST_MONTH, claimant_months, extend_claimant_months, month_key

__all__ = ["FIRST_MONTH", "claimant_months", "extend_claimant_months", "month_key"]
