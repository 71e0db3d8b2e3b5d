import dagster as dg

# Nomis publishes ward-level claimant counts from January 2013. With end_offset=0 the newest key is the
# last complete calendar month; whether Nomis has released it yet is asked upstream at run time.
claimant_months = dg.MonthlyPartitionsDefinition(start_date="2013-01-01", end_offset=0)
