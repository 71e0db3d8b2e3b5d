"""People on Universal Credit by conditionality regime, for wards, from DWP Stat-Xplore (UC_Monthly).

Optional: Stat-Xplore needs a free account's API key (STATXPLORE_API_KEY). Without one nothing is asked and
nothing fails; source_status records outcome `needs_key`, and the gap mapping keeps the need's status
`free_key` ("available with a Stat-Xplore key").

The field and value URIs below follow Stat-Xplore's published naming (str:field:<db>:<table>:<field>,
str:value:<db>:<table>:<field>:<valueset>:<code>, as in the recorded UC_Households responses under
tests/fixtures/statxplore/) but are UNVERIFIED for UC_Monthly: no ward-level UC response has been seen. Check
them against https://stat-xplore.dwp.gov.uk/webapi/metadata/UC_Monthly/ (or GET schema/str:database:UC_Monthly
with a key) before relying on a live run; a wrong URI is an HTTP 400 (an UpstreamError: the source degrades).
"""

from __future__ import annotations

DATABASE = "str:database:UC_Monthly"
MEASURE = "str:count:UC_Monthly:V_F_UC_CASELOAD_FULL"  # people on Universal Credit
WARD_FIELD = "str:field:UC_Monthly:V_F_UC_CASELOAD_FULL:WARD_CODE"  # unverified
WARD_VALUESET = "V_C_MASTERGEOG11_WARD_TO_LA"  # unverified
DATE_FIELD = "str:field:UC_Monthly:F_UC_DATE:DATE_NAME"
REGIME_FIELD = "str:field:UC_Monthly:V_F_UC_CASELOAD_FULL:CCCONDITIONALITY_REGIME"  # unverified

ASSET = "raw_uc_conditionality"
UPSTREAM = "statxplore:UC_Monthly"
COLUMNS = ("ward_code", "ward_name", "period", "regime_code", "regime", "people", "query_id")
NEEDS_KEY_REASON = ("Stat-Xplore publishes this for wards behind a free key: set STATXPLORE_API_KEY (a Stat-Xplore "
                    "account's Open Data API key) to load it. Nothing was requested.")


def ward_value(ward_code: str) -> str:
    return f"{WARD_FIELD.replace('str:field:', 'str:value:', 1)}:{WARD_VALUESET}:{ward_code}"


def conditionality_query(ward_codes: list[str]) -> dict:
    """The table query: people by ward x month x conditionality regime, every month (the asset keeps the
    latest): a month cannot be named as "latest" in a Stat-Xplore query."""
    if not ward_codes:
        raise ValueError("no wards to ask Stat-Xplore for")
    return {
        "database": DATABASE,
        "measures": [MEASURE],
        "recodes": {WARD_FIELD: {"map": [[ward_value(c)] for c in sorted(set(ward_codes))], "total": False}},
        "dimensions": [[WARD_FIELD], [DATE_FIELD], [REGIME_FIELD]],
    }


def latest_month(rows: list[dict]) -> list[dict]:
    """The rows of the newest period (Stat-Xplore month codes sort as dates)."""
    if not rows:
        return []
    newest = max(r["period"] for r in rows)
    return [r for r in rows if r["period"] == newest]
