"""Labour demand from Nomis for wards, districts and benchmarks: BRES open access employee jobs by broad
industry group (NM_189_1) and UK Business Counts local units (NM_141_1). Both annual, both asked for the
configured districts' wards where Nomis publishes the dataset for wards (the ward TYPE found by name at run
time, as for the claimant count), else for districts and above only.

As in the real bodies (tests/fixtures/nomis), Nomis writes the GSS code in GEOGRAPHY for both; areas are
matched on GEOGRAPHY_CODE as everywhere. UK Business Counts: NM_141_1 is the local-units dataset and NM_142_1
the enterprises one (both titles as Nomis's def.sdmx gives them, quoted in public code); local units are the
sites in the area, so they are what an area count wants. The two share their dimensions (INDUSTRY,
EMPLOYMENT_SIZEBAND, LEGAL_STATUS, MEASURES), which the real NM_142_1 body shows.
"""

import re

from lmi_pipeline.defs import freshness
from lmi_pipeline.defs.sources.survey_estimates import COLUMNS, VALUE_COLUMNS
from lmi_pipeline.sources.nomis_asset import nomis_source_asset
from lmi_pipeline.sources.nomis_source import NomisSource

BRES = "NM_189_1"
BUSINESS_COUNTS = "NM_141_1"
# BRES's 18 broad industry groups over SIC 2007, in Nomis's order, and the total. Names as a public BRES
# extract documents them ("Broad industry group 1: Agriculture, forestry & fishing (A)", ...); Nomis's labels
# lead with the group number (a Trafford ward script parses it from INDUSTRY_NAME). Unverified: the exact
# label text, so each pattern needs only the number and the first words. The total: INDUSTRY 37748736 "Total"
# in the real body.
_BROAD_GROUPS = [
    ("agriculture_forestry_fishing", r"agriculture"), ("mining_quarrying_utilities", r"mining"),
    ("manufacturing", r"manufacturing"), ("construction", r"construction"), ("motor_trades", r"motor trades"),
    ("wholesale", r"wholesale"), ("retail", r"retail"), ("transport_storage", r"transport"),
    ("accommodation_food", r"accommodation"), ("information_communication", r"information"),
    ("financial_insurance", r"financial"), ("property", r"property"),
    ("professional_scientific_technical", r"professional"), ("business_administration_support", r"business admin"),
    ("public_administration_defence", r"public admin"), ("education", r"education"), ("health", r"health"),
    ("arts_recreation_other", r"arts"),
]
BRES_INDUSTRIES = {"total": re.compile(r"^total$", re.I),
                   **{name: re.compile(rf"^{n}\s*:\s*{start}", re.I)
                      for n, (name, start) in enumerate(_BROAD_GROUPS, 1)}}
# EMPLOYMENT_STATUS 1 "Employees" (the real body): employee jobs only, not working owners ("Employment" = 4).
BRES_STATUS = {"employees": re.compile(r"^employees$", re.I)}
# MEASURE 1 "Count", 2 "Industry percentage" (the real body): the count and Nomis's share of the area's total.
BRES_MEASURE = {"count": re.compile(r"^count$", re.I), "industry_share": re.compile(r"^industry percentage$", re.I)}
BRES_SELECT = COLUMNS + ("INDUSTRY", "INDUSTRY_NAME", "EMPLOYMENT_STATUS", "EMPLOYMENT_STATUS_NAME", "MEASURE",
                         "MEASURE_NAME") + VALUE_COLUMNS
# UK Business Counts: every local unit (INDUSTRY "Total", EMPLOYMENT_SIZEBAND "Total", LEGAL_STATUS "Total", the
# labels the real NM_142_1 body shows for the same dimensions); MEASURES 20100 "Value".
UBC_INDUSTRY = {"total": re.compile(r"^total$", re.I)}
UBC_SIZEBAND = {"total": re.compile(r"^total$", re.I)}
UBC_LEGAL = {"total": re.compile(r"^total$", re.I)}
UBC_SELECT = COLUMNS + ("INDUSTRY", "INDUSTRY_NAME", "EMPLOYMENT_SIZEBAND", "EMPLOYMENT_SIZEBAND_NAME",
                        "LEGAL_STATUS", "LEGAL_STATUS_NAME") + VALUE_COLUMNS

BRES_SOURCE = NomisSource(
    asset="raw_bres_employees", role="bres", dataset=BRES, label="BRES open access employees", select=BRES_SELECT,
    dimensions=(("industry", BRES_INDUSTRIES), ("employment_status", BRES_STATUS), ("measure", BRES_MEASURE),
                ("measures", "20100")), time="first,latest")
BUSINESS_COUNTS_SOURCE = NomisSource(
    asset="raw_business_counts", role="business_counts", dataset=BUSINESS_COUNTS,
    label="UK Business Counts local units", select=UBC_SELECT,
    dimensions=(("industry", UBC_INDUSTRY), ("employment_sizeband", UBC_SIZEBAND), ("legal_status", UBC_LEGAL),
                ("measures", "20100")), time="first,latest")

raw_bres_employees = nomis_source_asset(BRES_SOURCE, freshness_policy=freshness.ANNUAL, description="""\
Nomis NM_189_1 (Business Register and Employment Survey: open access), exactly as served (every column
text): employee jobs located in the area, in total and in each of the 18 broad industry groups, with Nomis's
industry percentage, every year, for the configured districts' wards (where Nomis publishes BRES for wards),
the districts and their benchmarks. Open-access figures are rounded by ONS.""")

raw_business_counts = nomis_source_asset(BUSINESS_COUNTS_SOURCE, freshness_policy=freshness.ANNUAL,
                                         description="""\
Nomis NM_141_1 (UK Business Counts - local units by industry and employment size band), exactly as served
(every column text): all VAT- and/or PAYE-registered local units in the area (all industries, all sizes, all
legal statuses), every year, for the configured districts' wards (where Nomis publishes them for wards), the
districts and their benchmarks.""")
