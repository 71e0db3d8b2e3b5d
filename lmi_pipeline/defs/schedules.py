import dagster as dg

from lmi_pipeline.defs.jobs import observe_upstream_releases

# The schedule only observes; the refresh_on_release sensor (defs/sensors.py) decides what to run from it.
nightly_refresh = dg.ScheduleDefinition(
    name="nightly_refresh", job=observe_upstream_releases, cron_schedule="30 6 * * *",
    execution_timezone="Europe/London", default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night: observe every upstream's release stamp (observe_upstream_releases, a few small "
    "metadata requests). The refresh_on_release sensor then runs only the new or revisable claimant-count months "
    "and the sources whose release changed, or skips and says why.",
)
