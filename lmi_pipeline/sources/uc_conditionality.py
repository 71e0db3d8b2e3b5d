"""People on Universal Credit by conditionality regime, for wards, from DWP Stat-Xplore (UC_Monthly).

Optional: Stat-Xplore needs a free account's API key (STATXPLORE_API_KEY). Without one nothing is asked and
nothing fails; source_status records outcome `needs_key`, and the gap mapping keeps the need's status
`free_key` ("available with a Stat-Xplore key").

The field and value URIs follow Stat-Xplore's naming (str:field:<db>:<table>:<field>,
str:value:<db>:<table>:<field>:<valueset>:<code>, as in the recorded UC_Households responses under
tests/fixtures/statxplore/). For UC_Monthly they were checked against public scripts that query the live API,
not against DWP's metadata pages (which need a browser session): the WARD_CODE field with valueset
V_C_MASTERGEOG21_WARD_TO_LA, asked for with current (2023-) ward codes, e.g. Trafford's E05015239-59 for March
2026 (Trafford Data Lab's themes scripts, universal_credit.R), and CCCONDITIONALITY_REGIME with valueset
C_UC_CONDITIONALITY_REGIME, codes AA searching for work, BC no work requirements, CE preparing for work, DF
planning for work. The same field holds districts (valueset V_C_MASTERGEOG21_LA_TO_REGION, seen in public
scripts under WARD_CODE) and countries: V_C_MASTERGEOG21_COUNTRY_TO_GB is unverified, named by analogy with the
V_C_MASTERGEOG11_COUNTRY_TO_GB public scripts use for GB-wide databases. Which ward vintage Stat-Xplore's MASTERGEOG21 ward list follows is not documented there
(unverified): the asset asks for the newest vintage ward_lookup holds. A URI Stat-Xplore does not know is an
HTTP 400 (an UpstreamError: the source degrades, the run goes on).
"""

from __future__ import annotations

DATABASE = "str:database:UC_Monthly"
MEASURE = "str:count:UC_Monthly:V_F_UC_CASELOAD_FULL"  # people on Universal Credit
WARD_FIELD = "str:field:UC_Monthly:V_F_UC_CASELOAD_FULL:WARD_CODE"
WARD_VALUESET = "V_C_MASTERGEOG21_WARD_TO_LA"
# Each level asked for, by its valueset under WARD_FIELD: wards, their districts (the benchmark a ward figure
# needs) and their country.
VALUESETS = {"ward": WARD_VALUESET, "lad": "V_C_MASTERGEOG21_LA_TO_REGION", "country": "V_C_MASTERGEOG21_COUNTRY_TO_GB"}
DATE_FIELD = "str:field:UC_Monthly:F_UC_DATE:DATE_NAME"
REGIME_FIELD = "str:field:UC_Monthly:V_F_UC_CASELOAD_FULL:CCCONDITIONALITY_REGIME"
REGIME_VALUESET = "C_UC_CONDITIONALITY_REGIME"

ASSET = "raw_uc_conditionality"
UPSTREAM = "statxplore:UC_Monthly"
COLUMNS = ("area_code", "area_name", "period", "regime_code", "regime", "people", "query_id")
NEEDS_KEY_REASON = ("Stat-Xplore publishes this for wards behind a free key: set STATXPLORE_API_KEY (a Stat-Xplore "
                    "account's Open Data API key) to load it. Nothing was requested.")


def area_value(level: str, code: str) -> str:
    return f"{WARD_FIELD.replace('str:field:', 'str:value:', 1)}:{VALUESETS[level]}:{code}"


def ward_value(ward_code: str) -> str:
    return area_value("ward", ward_code)


def conditionality_query(ward_codes: list[str], lad_codes: list[str] = (), country_codes: list[str] = ()) -> dict:
    """The table query: people by area x month x conditionality regime, every month (the asset keeps the
    latest): a month cannot be named as "latest" in a Stat-Xplore query. The areas are the wards, then their
    districts and countries, one item each in the area field's recode."""
    if not ward_codes:
        raise ValueError("no wards to ask Stat-Xplore for")
    values = [area_value(level, c) for level, codes in (("ward", ward_codes), ("lad", lad_codes),
                                                         ("country", country_codes)) for c in sorted(set(codes))]
    return {
        "database": DATABASE,
        "measures": [MEASURE],
        "recodes": {WARD_FIELD: {"map": [[v] for v in values], "total": False}},
        "dimensions": [[WARD_FIELD], [DATE_FIELD], [REGIME_FIELD]],
    }


def latest_month(rows: list[dict]) -> list[dict]:
    """The rows of the newest period (Stat-Xplore month codes sort as dates)."""
    if not rows:
        return []
    newest = max(r["period"] for r in rows)
    return [r for r in rows if r["period"] == newest]
