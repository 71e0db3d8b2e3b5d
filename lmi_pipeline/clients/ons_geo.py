"""ONS Open Geography Portal client: ArcGIS FeatureServer `query` with paging.

GET {base}/{service}/FeatureServer/0/query?where=..&outFields=..&returnGeometry=false&f=json
    &orderByFields=..&resultOffset=N&resultRecordCount=2000
Pages continue while the response says `exceededTransferLimit: true`. ArcGIS reports errors as
`{"error": {"code": 400, "message": ...}}` with HTTP 200, so the body is always inspected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lmi_pipeline.clients.base import UpstreamResource
from lmi_pipeline.clients.transport import Request, Response, UpstreamFormatError
from lmi_pipeline.settings import DEFAULT_ONS_GEO_URL


@dataclass(frozen=True)
class WardLookupService:
    """One vintage of the ward -> LAD -> county -> region lookup and its field names."""

    vintage: int
    service: str
    ward_code: str
    ward_name: str
    lad_code: str
    lad_name: str
    county_code: str
    county_name: str
    region_code: str
    region_name: str

    @property
    def fields(self) -> list[str]:
        return [self.ward_code, self.ward_name, self.lad_code, self.lad_name, self.county_code,
                self.county_name, self.region_code, self.region_name]


def _lookup(vintage: int, service: str, county: str = "CTY") -> WardLookupService:
    yy = f"{vintage % 100:02d}"
    return WardLookupService(vintage, service, f"WD{yy}CD", f"WD{yy}NM", f"LAD{yy}CD", f"LAD{yy}NM",
                             f"{county}{yy}CD", f"{county}{yy}NM", f"RGN{yy}CD", f"RGN{yy}NM")


# Service names are from the ONS catalogue; ONS renames services now and then (e.g. a `_v2` suffix), so a
# moved service is one line here. The 2024 field names follow the 2022/2023 pattern and are unverified.
WARD_LOOKUPS = {
    2022: _lookup(2022, "WD22_LAD22_CTY22_OTH_UK_LU"),
    2023: _lookup(2023, "WD23_LAD23_CTY23_OTH_UK_LU"),
    2024: _lookup(2024, "WD24_LAD24_CTYUA_RGN_CTRY_UK_LU", county="CTYUA"),
}


@dataclass(frozen=True)
class LsoaWardLookupService:
    """One vintage of the LSOA21 -> ward best-fit lookup (each 2021 LSOA to the ward holding most of it)."""

    vintage: int
    service: str
    lsoa_code: str = "LSOA21CD"
    lsoa_name: str = "LSOA21NM"

    @property
    def yy(self) -> str:
        return f"{self.vintage % 100:02d}"

    @property
    def ward_code(self) -> str:
        return f"WD{self.yy}CD"

    @property
    def ward_name(self) -> str:
        return f"WD{self.yy}NM"

    @property
    def lad_code(self) -> str:
        return f"LAD{self.yy}CD"

    @property
    def lad_name(self) -> str:
        return f"LAD{self.yy}NM"

    @property
    def fields(self) -> list[str]:
        return [self.lsoa_code, self.lsoa_name, self.ward_code, self.ward_name, self.lad_code, self.lad_name]


# LSOA21 -> ward best-fit lookups by ward vintage (ONS catalogue names; the 2022 one was republished as _v3).
LSOA_WARD_LOOKUPS = {
    2022: LsoaWardLookupService(2022, "LSOA21_WD22_LAD22_EW_LU_v3"),
    2023: LsoaWardLookupService(2023, "LSOA21_WD23_LAD23_EW_LU"),
    2024: LsoaWardLookupService(2024, "LSOA21_WD24_LAD24_EW_LU"),
}


@dataclass(frozen=True)
class CombinedAuthorityLookupService:
    """Local authority district -> combined authority (England; only districts in one are listed)."""

    service: str = "LAD24_CAUTH24_EN_LU"
    lad_code: str = "LAD24CD"
    lad_name: str = "LAD24NM"
    code: str = "CAUTH24CD"
    name: str = "CAUTH24NM"

    @property
    def fields(self) -> list[str]:
        return [self.lad_code, self.lad_name, self.code, self.name]


COMBINED_AUTHORITY_LOOKUP = CombinedAuthorityLookupService()


class OnsGeoResource(UpstreamResource):
    """ONS Open Geography Portal lookups (ward -> LAD -> county -> region; LSOA -> ward)."""

    base_url: str = DEFAULT_ONS_GEO_URL
    page_size: int = 2000

    def query(self, service: str, where: str, out_fields: list[str], order_by: str) -> tuple[list[dict], list[Response]]:
        rows: list[dict] = []
        responses: list[Response] = []
        offset = 0
        while True:
            params = (
                ("where", where),
                ("outFields", ",".join(out_fields)),
                ("returnGeometry", "false"),
                ("orderByFields", order_by),
                ("resultOffset", str(offset)),
                ("resultRecordCount", str(self.page_size)),
                ("f", "json"),
            )
            req = Request("ons_geo", self.base_url, f"{service}/FeatureServer/0/query", params,
                          label=f"ONS geography {service} for {where}")
            resp = self.transport().get(req)
            page, more = _features(resp, out_fields)
            rows += page
            responses.append(resp)
            if not more:
                return rows, responses
            if not page:  # "there is more" with nothing in this page: stopping here would truncate silently
                raise UpstreamFormatError(
                    f"{req.describe()}: exceededTransferLimit is true but the page at offset {offset} is empty, "
                    f"after {len(rows)} rows. The lookup would be incomplete; nothing was loaded; try again later.")
            offset += len(page)


def _features(resp: Response, out_fields: list[str]) -> tuple[list[dict], bool]:
    """The page's rows (only `out_fields`) and whether ArcGIS says more pages follow."""
    what = resp.request.describe()
    try:
        doc = json.loads(resp.body)
    except ValueError:
        raise UpstreamFormatError(f"{what}: expected JSON, got {resp.body[:120]!r}") from None
    if not isinstance(doc, dict):
        raise UpstreamFormatError(f"{what}: expected a JSON object, got {resp.body[:120]!r}")
    if "error" in doc:
        err = doc["error"]
        err = err if isinstance(err, dict) else {"message": err}
        hint = (" ONS may have renamed or retired the service (a new boundary vintage?): check its name in the ONS "
                "catalogue and update WARD_LOOKUPS / LSOA_WARD_LOOKUPS in lmi_pipeline/clients/ons_geo.py."
                if err.get("code") in (400, 404) else " Nothing was loaded; try again later.")
        raise UpstreamFormatError(
            f"{what}: ArcGIS error {err.get('code')}: {err.get('message')} {err.get('details', '')}.{hint}")
    if "features" not in doc:
        raise UpstreamFormatError(f"{what}: no `features` in the response")
    out = []
    for f in doc["features"]:
        attrs = f.get("attributes", {})
        missing = [c for c in out_fields if c not in attrs]
        if missing:
            raise UpstreamFormatError(f"{what}: features lack fields {missing}; the service layout changed.")
        out.append({c: attrs[c] for c in out_fields})
    return out, bool(doc.get("exceededTransferLimit", False))
