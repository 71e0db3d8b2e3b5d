"""Freshness policies by release cadence: the daemon flags a source that has not been refreshed in time."""

from datetime import timedelta

import dagster as dg

# Claimant counts come out mid-month, about five weeks after the count date.
MONTHLY_MID_MONTH = dg.FreshnessPolicy.cron(deadline_cron="0 12 20 * *", lower_bound_delta=timedelta(days=28),
                                            timezone="Europe/London")
# APS and model-based estimates: rolling years, published quarterly.
QUARTERLY = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=120), warn_window=timedelta(days=100))
# Mid-year population estimates, DfE NEET (each March), ONS boundary lookups.
ANNUAL = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=400), warn_window=timedelta(days=370))
# Census 2021: the next census outputs are due in the 2030s; the policy only catches a source never reloaded.
DECENNIAL = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=11 * 366))
# Geography metadata is re-read on every refresh that fetches anything, so at least monthly.
EVERY_REFRESH = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=45))
