"""ONS Open Geography Portal client: the ArcGIS REST services directory, layer info, and FeatureServer
`query` with paging.

GET {base}?f=json                                  the services directory: {"services": [{"name", "type", "url"}]}
GET {base}/{service}/FeatureServer/0?f=json        layer info: {"fields": [{"name", "type", ...}]}
GET {base}/{service}/FeatureServer/0/query?where=..&outFields=..&returnGeometry=false&f=json
    &orderByFields=..&resultOffset=N&resultRecordCount=2000
GET ... same, with returnGeometry=true&outSR=4326&f=geojson   boundaries, as a GeoJSON FeatureCollection
Pages continue while the response says `exceededTransferLimit: true` (with f=geojson, under the collection's
`properties`), which is the server's word: paging
stops with an error after MAX_PAGES pages, and a page that repeats an earlier one (the same features, or
the same first and last keys) or holds more features than asked for is refused. ArcGIS reports errors as
`{"error": {"code": 400, "message": ...}}` with HTTP 200, so every body is inspected.

Services are DISCOVERED, not registered: ONS publishes a new ward lookup every boundary year and
republishes old ones under a `_v2`, `_v3` suffix, so the directory is read and each lookup is the service
whose name matches its pattern for the year (below), the highest version winning. Field names are then read
from the chosen layer's `fields`, not assumed from its name. Every request (directory, layer info, query)
goes through the same transport, so the assets log all of them in `source_requests`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass

from lmi_pipeline.clients.base import UpstreamResource
from lmi_pipeline.clients.transport import Request, Response, UpstreamError, UpstreamFormatError
from lmi_pipeline.settings import DEFAULT_ONS_GEO_URL

# -- what each lookup is called ---------------------------------------------------------------------------
# {yy} is the two-digit boundary year. The ward lookups ONS has published read
#   WD22_LAD22_CTY22_OTH_UK_LU, WD23_LAD23_CTY23_OTH_UK_LU, WD24_LAD24_CTYUA_RGN_CTRY_UK_LU
# (ward -> district -> county, or county-or-unitary, -> region/"other" -> country), while the directory also
# holds near-duplicates that are not this lookup: WD24_LAD24_UK_LU (no county), long-named copies
# ("Ward_to_Local_Authority_District_May_2024_Lookup_in_the_UK"), boundaries (WD_MAY_2024_UK_BSC) and
# other ward lookups (WD24_PCON24_..., WD24_LAD24_..._EW_LU without a county). So the pattern asks for the
# ward and district of the same year, then a county (CTY{yy}, CTYUA or CTYUA{yy}), then OTH or RGN, and a
# `_LU` lookup suffix with an optional `_vN` republication suffix.
WARD_PATTERN = r"^WD{yy}_LAD{yy}_(?:CTY{yy}|CTYUA(?:{yy})?)_(?:OTH|RGN)_.*_LU(?:_v(?P<version>\d+))?$"
LSOA_WARD_PATTERN = r"^LSOA21_WD{yy}_LAD{yy}_EW_LU(?:_v(?P<version>\d+))?$"
COMBINED_AUTHORITY_PATTERN = r"^LAD(?P<yy>\d\d)_CAUTH(?P=yy)_EN_LU(?:_v(?P<version>\d+))?$"
CA_PATTERN_SHOWN = r"^LAD{yy}_CAUTH{yy}_EN_LU(_v\d+)?$ (the newest {yy})"
# Ward boundaries: ONS publishes each ward year's at several resolutions (BFC full, BFE, BGC generalised 20 m,
# BSC super generalised 200 m, and vector tiles); BGC and BSC are small enough to draw a district in a page.
# A year can have two releases (May and December 2024): both carry WDyyCD, and a code is one area, so either
# does. The directory also lists short-named copies (WD_MAY_2024_UK_BSC) whose layout varies; the long names
# are ONS's own catalogue names.
BOUNDARY_PATTERN = (r"^Wards_(?P<month>[A-Z][a-z]+)_{year}_Boundaries_UK_(?P<resolution>BGC|BSC)"
                    r"(?:_v(?P<version>\d+))?$")
BOUNDARY_PATTERN_SHOWN = r"^Wards_<Month>_{year}_Boundaries_UK_(BGC|BSC)(_v\d+)?$"
RESOLUTION_PREFERRED = ("BGC", "BSC")  # BGC follows the coast and the ward's shape; BSC is the fallback
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def shown(pattern: str) -> str:
    """A pattern as a person reads it: no (?: ) or named groups."""
    return pattern.replace("(?:_v(?P<version>\\d+))", "(_v\\d+)").replace("(?:", "(")


# A typical name of each, to rank "nearest names" when nothing matches.
_EXAMPLE = {"ward lookup": "WD{yy}_LAD{yy}_CTYUA_RGN_CTRY_UK_LU", "LSOA21 -> ward lookup": "LSOA21_WD{yy}_LAD{yy}_EW_LU",
            "combined authority lookup": "LAD{yy}_CAUTH{yy}_EN_LU",
            "ward boundaries": "Wards_May_{year}_Boundaries_UK_BGC"}

# Pins, by ward year: a service named here is used for that year instead of the pattern's choice (for a
# lookup ONS publishes under a name the pattern misses, or when its choice is wrong). Empty: discover all.
# A pin the directory does not list counts as no lookup for that year (and says so).
WARD_LOOKUPS: dict[int, str] = {}
LSOA_WARD_LOOKUPS: dict[int, str] = {}
COMBINED_AUTHORITY_PIN: str | None = None
WARD_BOUNDARIES: dict[int, str] = {}
PIN_HINT = ("to use another service for a year, pin it: update WARD_LOOKUPS / LSOA_WARD_LOOKUPS (or "
            "COMBINED_AUTHORITY_PIN) in lmi_pipeline/clients/ons_geo.py")
_PIN_NAME = {"ward lookup": "WARD_LOOKUPS", "LSOA21 -> ward lookup": "LSOA_WARD_LOOKUPS",
             "combined authority lookup": "COMBINED_AUTHORITY_PIN", "ward boundaries": "WARD_BOUNDARIES"}


@dataclass(frozen=True)
class ArcGisService:
    """One entry of the services directory."""

    name: str
    type: str
    url: str = ""


@dataclass(frozen=True)
class Discovery:
    """What the directory offered for one lookup: the chosen service (None: nothing listed matched) and why."""

    what: str  # "ward lookup" | "LSOA21 -> ward lookup" | "combined authority lookup" | "ward boundaries"
    year: int | None  # the ward year asked for; for combined authorities, the year of the chosen one
    pattern: str
    service: str | None
    candidates: tuple[str, ...] = ()  # every listed name that matched, best first
    nearest: tuple[str, ...] = ()  # when nothing matched: the closest names listed
    pin: str | None = None  # the pinned name, if one was pinned

    def missing_message(self, directory_url: str) -> str:
        year = f"{self.year} wards" if self.year is not None else "any year"
        near = ", ".join(self.nearest) if self.nearest else "none"
        how = (f"the service pinned for it, {self.pin}, is not listed" if self.pin else
               f"no FeatureServer listed matches {self.pattern}")
        return (f"No ONS {self.what} for {year}: in the ONS services directory ({directory_url}) {how}. "
                f"Nearest names listed: {near}. ONS may not have published it yet, or publishes it under another "
                f"name (to use it, pin it: update {_PIN_NAME[self.what]} in lmi_pipeline/clients/ons_geo.py).")


@dataclass(frozen=True)
class WardLookupService:
    """One vintage of the ward -> LAD -> county -> region lookup and its field names (as its layer lists them)."""

    vintage: int
    service: str
    ward_code: str
    ward_name: str
    lad_code: str
    lad_name: str
    county_code: str
    county_name: str
    region_code: str | None  # None: the layer has no region field (the column is left NULL)
    region_name: str | None

    @property
    def fields(self) -> list[str]:
        return [f for f in (self.ward_code, self.ward_name, self.lad_code, self.lad_name, self.county_code,
                            self.county_name, self.region_code, self.region_name) if f]


@dataclass(frozen=True)
class LsoaWardLookupService:
    """One vintage of the LSOA21 -> ward best-fit lookup (each 2021 LSOA to the ward holding most of it)."""

    vintage: int
    service: str
    lsoa_code: str
    lsoa_name: str
    ward_code: str
    ward_name: str
    lad_code: str
    lad_name: str

    @property
    def fields(self) -> list[str]:
        return [self.lsoa_code, self.lsoa_name, self.ward_code, self.ward_name, self.lad_code, self.lad_name]


@dataclass(frozen=True)
class CombinedAuthorityLookupService:
    """Local authority district -> combined authority (England; only districts in one are listed)."""

    service: str
    lad_code: str
    lad_name: str
    code: str
    name: str
    year: int = 0

    @property
    def fields(self) -> list[str]:
        return [self.lad_code, self.lad_name, self.code, self.name]


@dataclass(frozen=True)
class WardBoundaryService:
    """One ward year's generalised boundaries and their field names (as the layer lists them)."""

    vintage: int
    service: str
    ward_code: str
    ward_name: str
    lad_code: str | None  # None: the layer has no district field (the district then comes from ward_lookup)

    @property
    def fields(self) -> list[str]:
        return [f for f in (self.ward_code, self.ward_name, self.lad_code) if f]


# -- discovery: pure functions of the directory listing -------------------------------------------------
def _yy(year: int) -> str:
    return f"{year % 100:02d}"


def _version(m: re.Match) -> int:
    return int(m.group("version") or 1)  # an unsuffixed name is the first publication


def _features_only(services: list[ArcGisService]) -> list[ArcGisService]:
    return [s for s in services if s.type == "FeatureServer"]


def _nearest(names: list[str], example: str, token: str = "", n: int = 3) -> tuple[str, ...]:
    """The listed names closest to a typical name of the lookup; failing any, those holding `token`."""
    close = difflib.get_close_matches(example, names, n=n, cutoff=0.5)
    return tuple(close or sorted(x for x in names if token and token in x)[:n])


def _pinned(services: list[ArcGisService], what: str, year: int | None, pattern: str, pin: str) -> Discovery:
    names = [s.name for s in _features_only(services)]
    if pin in names:
        return Discovery(what, year, pattern, pin, (pin,), pin=pin)
    return Discovery(what, year, pattern, None, (), _nearest(names, pin), pin=pin)


def _discover(services: list[ArcGisService], what: str, year: int, template: str, pins: dict[int, str]) -> Discovery:
    yy = _yy(year)
    pattern = template.format(yy=yy)
    display = shown(pattern)
    if year in pins:
        return _pinned(services, what, year, display, pins[year])
    names = [s.name for s in _features_only(services)]
    rx = re.compile(pattern)
    matched = [(m, n) for n in names if (m := rx.match(n))]
    # The highest republication (_vN) first; then the shorter name, then by name, so the choice is stable.
    ranked = [n for m, n in sorted(matched, key=lambda mn: (-_version(mn[0]), len(mn[1]), mn[1]))]
    if not ranked:
        return Discovery(what, year, display, None, (), _nearest(names, _EXAMPLE[what].format(yy=yy), f"WD{yy}"))
    return Discovery(what, year, display, ranked[0], tuple(ranked))


def discover_ward_lookup(services: list[ArcGisService], year: int, pins: dict[int, str] | None = None) -> Discovery:
    """The ward -> district -> county -> region lookup for `year`'s wards (service None if none is listed)."""
    return _discover(services, "ward lookup", year, WARD_PATTERN, WARD_LOOKUPS if pins is None else pins)


def discover_lsoa_ward_lookup(services: list[ArcGisService], year: int,
                              pins: dict[int, str] | None = None) -> Discovery:
    """The LSOA21 -> ward best-fit lookup for `year`'s wards (service None if none is listed)."""
    return _discover(services, "LSOA21 -> ward lookup", year, LSOA_WARD_PATTERN,
                     LSOA_WARD_LOOKUPS if pins is None else pins)


def discover_combined_authority_lookup(services: list[ArcGisService], pin: str | None = None) -> Discovery:
    """The newest district -> combined authority lookup listed (LADyy_CAUTHyy_EN_LU: highest yy, then _vN)."""
    what, pattern = "combined authority lookup", CA_PATTERN_SHOWN
    rx = re.compile(COMBINED_AUTHORITY_PATTERN)
    pin = COMBINED_AUTHORITY_PIN if pin is None else pin
    if pin is not None:
        m = rx.match(pin)
        return _pinned(services, what, 2000 + int(m.group("yy")) if m else None, pattern, pin)
    names = [s.name for s in _features_only(services)]
    matched = [(m, n) for n in names if (m := rx.match(n))]
    ranked = sorted(matched, key=lambda mn: (-int(mn[0].group("yy")), -_version(mn[0]), len(mn[1]), mn[1]))
    if not ranked:
        return Discovery(what, None, pattern, None, (), _nearest(names, _EXAMPLE[what].format(yy="24"), "CAUTH"))
    return Discovery(what, 2000 + int(ranked[0][0].group("yy")), pattern, ranked[0][1], tuple(n for _, n in ranked))


def discover_ward_boundaries(services: list[ArcGisService], year: int,
                             pins: dict[int, str] | None = None) -> Discovery:
    """`year`'s generalised ward boundaries (service None if none is listed): BGC before BSC, then the later
    release of the year, then the highest republication (_vN)."""
    what, pins = "ward boundaries", WARD_BOUNDARIES if pins is None else pins
    display = BOUNDARY_PATTERN_SHOWN.format(year=year)
    if year in pins:
        return _pinned(services, what, year, display, pins[year])
    names = [s.name for s in _features_only(services)]
    rx = re.compile(BOUNDARY_PATTERN.format(year=year))
    matched = [(m, n) for n in names if (m := rx.match(n)) and m.group("month") in MONTHS]
    ranked = [n for m, n in sorted(matched, key=lambda mn: (
        RESOLUTION_PREFERRED.index(mn[0].group("resolution")), -MONTHS.index(mn[0].group("month")),
        -_version(mn[0]), mn[1]))]
    if not ranked:
        return Discovery(what, year, display, None, (),
                         _nearest(names, _EXAMPLE[what].format(year=year), f"Wards_") if names else ())
    return Discovery(what, year, display, ranked[0], tuple(ranked))


# -- field names, from the layer's `fields` -----------------------------------------------------------
def _pick(fields: list[str], *wanted: str) -> str | None:
    """The layer's own spelling of the first wanted field it has (ONS has used upper and lower case)."""
    by_upper = {f.upper(): f for f in fields}
    return next((by_upper[w.upper()] for w in wanted if w.upper() in by_upper), None)


def _require(service: str, fields: list[str], **wanted: tuple[str, ...]) -> dict[str, str]:
    got = {k: _pick(fields, *names) for k, names in wanted.items()}
    missing = [" or ".join(wanted[k]) for k, v in got.items() if v is None]
    if missing:
        raise UpstreamFormatError(
            f"ONS service {service}: its layer has no field {'; no field '.join(missing)} (it has "
            f"{', '.join(fields) or 'no fields'}). Its layout is not the lookup's; nothing was loaded from it "
            f"({PIN_HINT}).")
    return got  # type: ignore[return-value]


def ward_lookup_spec(service: str, year: int, fields: list[str]) -> WardLookupService:
    yy = _yy(year)
    got = _require(service, fields, ward_code=(f"WD{yy}CD",), ward_name=(f"WD{yy}NM",), lad_code=(f"LAD{yy}CD",),
                   lad_name=(f"LAD{yy}NM",), county_code=(f"CTY{yy}CD", f"CTYUA{yy}CD"),
                   county_name=(f"CTY{yy}NM", f"CTYUA{yy}NM"))
    region_code, region_name = _pick(fields, f"RGN{yy}CD"), _pick(fields, f"RGN{yy}NM")
    if region_code is None or region_name is None:
        region_code = region_name = None
    return WardLookupService(year, service, region_code=region_code, region_name=region_name, **got)


def lsoa_ward_lookup_spec(service: str, year: int, fields: list[str]) -> LsoaWardLookupService:
    yy = _yy(year)
    got = _require(service, fields, lsoa_code=("LSOA21CD",), lsoa_name=("LSOA21NM",), ward_code=(f"WD{yy}CD",),
                   ward_name=(f"WD{yy}NM",), lad_code=(f"LAD{yy}CD",), lad_name=(f"LAD{yy}NM",))
    return LsoaWardLookupService(year, service, **got)


def combined_authority_spec(service: str, year: int, fields: list[str]) -> CombinedAuthorityLookupService:
    yy = _yy(year)
    got = _require(service, fields, lad_code=(f"LAD{yy}CD",), lad_name=(f"LAD{yy}NM",), code=(f"CAUTH{yy}CD",),
                   name=(f"CAUTH{yy}NM",))
    return CombinedAuthorityLookupService(service, year=year, **got)


def ward_boundary_spec(service: str, year: int, fields: list[str]) -> WardBoundaryService:
    yy = _yy(year)
    got = _require(service, fields, ward_code=(f"WD{yy}CD",), ward_name=(f"WD{yy}NM",))
    return WardBoundaryService(year, service, lad_code=_pick(fields, f"LAD{yy}CD"), **got)


# -- paging bounds ---------------------------------------------------------------------------------------
# The most pages one lookup query may take. The largest lookup there is, every 2021 LSOA in England and
# Wales (35,672 rows), is 18 pages of 2,000, or 36 where a service caps pages at 1,000 (maxRecordCount); the
# configured districts need far fewer. A service still saying "more" after this many is looping, not paging.
MAX_PAGES = 200


# -- the resource ----------------------------------------------------------------------------------------
class OnsGeoResource(UpstreamResource):
    """ONS Open Geography Portal lookups (ward -> LAD -> county -> region; LSOA -> ward; LAD -> CA) and ward
    boundaries."""

    base_url: str = DEFAULT_ONS_GEO_URL
    page_size: int = 2000
    max_pages: int = MAX_PAGES  # per query (see MAX_PAGES)

    def services(self) -> list[ArcGisService]:
        """The services directory: every service ONS lists (one request; folders are not descended: ONS's
        hosted lookups are all at the top level)."""
        req = Request("ons_geo", self.base_url, "", (("f", "json"),), label="ONS services directory")
        doc = _arcgis_doc(self.transport().get(req),
                          "No ONS lookup can be discovered without it; nothing was loaded; try again later.")
        services = doc.get("services")
        if not isinstance(services, list) or not all(isinstance(s, dict) and isinstance(s.get("name"), str)
                                                     for s in services):
            raise UpstreamFormatError(f"{req.describe()}: no `services` list of named services in the response "
                                      f"(keys: {sorted(doc)}); it is not an ArcGIS services directory.")
        # Hosted services are listed by bare name (a folder's would be "folder/name" and match no pattern).
        return [ArcGisService(s["name"], str(s.get("type", "")), str(s.get("url", ""))) for s in services]

    def layer_fields(self, service: str) -> list[str]:
        """The field names of the service's layer 0, as it lists them."""
        req = Request("ons_geo", self.base_url, f"{service}/FeatureServer/0", (("f", "json"),),
                      label=f"ONS geography {service} layer info")
        doc = _arcgis_doc(self.transport().get(req))
        fields = doc.get("fields")
        if not isinstance(fields, list) or not all(isinstance(f, dict) and isinstance(f.get("name"), str)
                                                   for f in fields):
            raise UpstreamFormatError(f"{req.describe()}: no `fields` list in the layer info; the service layout "
                                      "changed. Nothing was loaded.")
        return [f["name"] for f in fields]

    def ward_lookup(self, discovery: Discovery) -> WardLookupService:
        assert discovery.service and discovery.year is not None
        return ward_lookup_spec(discovery.service, discovery.year, self.layer_fields(discovery.service))

    def ward_boundaries(self, discovery: Discovery) -> WardBoundaryService:
        assert discovery.service and discovery.year is not None
        return ward_boundary_spec(discovery.service, discovery.year, self.layer_fields(discovery.service))

    def lsoa_ward_lookup(self, discovery: Discovery) -> LsoaWardLookupService:
        assert discovery.service and discovery.year is not None
        return lsoa_ward_lookup_spec(discovery.service, discovery.year, self.layer_fields(discovery.service))

    def combined_authority_lookup(self, discovery: Discovery) -> CombinedAuthorityLookupService:
        if discovery.year is None:
            raise UpstreamError(f"ONS combined authority lookup {discovery.service!r}: its name does not say its "
                                f"year (expected {COMBINED_AUTHORITY_PATTERN}).")
        assert discovery.service
        return combined_authority_spec(discovery.service, discovery.year, self.layer_fields(discovery.service))

    def query(self, service: str, where: str, out_fields: list[str], order_by: str) -> tuple[list[dict], list[Response]]:
        """Every feature matching `where`, page by page. The `order_by` fields are each row's key: a row
        without one cannot be placed, and they tell a repeated page from a new one."""
        params = (("returnGeometry", "false"),)
        return self._paged(service, where, out_fields, order_by, params, "json", _features)

    def query_geojson(self, service: str, where: str, out_fields: list[str],
                      order_by: str) -> tuple[list[dict], list[Response]]:
        """Every feature matching `where` with its geometry in WGS84 (outSR=4326, f=geojson), page by page:
        each row is the `out_fields` of its properties plus `geometry` (a GeoJSON Polygon or MultiPolygon, or
        None where the service holds no shape for it)."""
        params = (("returnGeometry", "true"), ("outSR", "4326"))
        return self._paged(service, where, out_fields, order_by, params, "geojson", _geojson_features)

    def _paged(self, service: str, where: str, out_fields: list[str], order_by: str, extra: tuple,
               fmt: str, parse) -> tuple[list[dict], list[Response]]:
        rows: list[dict] = []
        responses: list[Response] = []
        keys = [k for k in (part.split()[0] for part in order_by.split(",") if part.strip()) if k in out_fields]
        seen = _PagesSeen()
        offset = 0
        for number in range(1, self.max_pages + 1):
            params = (
                ("where", where),
                ("outFields", ",".join(out_fields)),
                *extra,
                ("orderByFields", order_by),
                ("resultOffset", str(offset)),
                ("resultRecordCount", str(self.page_size)),
                ("f", fmt),
            )
            req = Request("ons_geo", self.base_url, f"{service}/FeatureServer/0/query", params,
                          label=f"ONS geography {service} for {_short(where)}")
            resp = self.transport().get(req)
            page, more = parse(resp, out_fields)
            what = f"{req.describe()}: page {number} (offset {offset})"
            _check_page(page, keys, self.page_size, what)
            seen.check(page, keys, number, what)
            rows += page
            responses.append(resp)
            if not more:
                return rows, responses
            if not page:  # "there is more" with nothing in this page: stopping here would truncate silently
                raise UpstreamFormatError(
                    f"{req.describe()}: exceededTransferLimit is true but the page at offset {offset} is empty, "
                    f"after {len(rows)} rows. The lookup would be incomplete; nothing was loaded; try again later.")
            offset += len(page)
        raise UpstreamFormatError(
            f"{req.describe()}: exceededTransferLimit is still true after {self.max_pages} pages ({len(rows):,} "
            f"rows), more than any ONS lookup takes (OnsGeoResource.max_pages): the service is looping, not paging. "
            "Nothing was loaded; try again later. If a lookup really is that large, raise max_pages (MAX_PAGES in "
            "lmi_pipeline/clients/ons_geo.py).")


def _short(where: str, limit: int = 120) -> str:
    """A `where` clause for a label: a long IN list of ward codes shortened (the full query is in the URL)."""
    return where if len(where) <= limit else f"{where[:limit]}... ({where.count(',') + 1} values)"


class _PagesSeen:
    """Fingerprints of the pages read so far: a page whose features, or whose first and last keys, are an
    earlier page's is that page again (a server ignoring resultOffset), and would otherwise loop for ever."""

    def __init__(self) -> None:
        self.bodies: dict[str, int] = {}
        self.ends: dict[tuple, int] = {}

    def check(self, page: list[dict], keys: list[str], number: int, what: str) -> None:
        if not page:
            return
        body = hashlib.sha256(json.dumps(page, sort_keys=True, default=str).encode()).hexdigest()
        ends = (tuple(page[0][k] for k in keys), tuple(page[-1][k] for k in keys)) if keys else None
        earlier, why = self.bodies.get(body), "the same features"
        if earlier is None and ends is not None and ends in self.ends:
            first, last = ("/".join(map(str, end)) for end in ends)
            earlier, why = self.ends[ends], f"the same first and last {'/'.join(keys)}, {first} .. {last}"
        if earlier is not None:
            raise UpstreamFormatError(
                f"{what} repeats page {earlier} ({why}): the service is not advancing through the results. The "
                "lookup would loop or hold rows twice; nothing was loaded; try again later.")
        self.bodies[body] = number
        if ends is not None:
            self.ends[ends] = number


def _check_page(page: list[dict], keys: list[str], page_size: int, what: str) -> None:
    """At most the features asked for, each with its key. A service may cap pages below resultRecordCount
    (its maxRecordCount), so a short page is not itself wrong; a long one is."""
    if len(page) > page_size:
        raise UpstreamFormatError(f"{what} holds {len(page)} features but at most {page_size} were asked for "
                                  "(resultRecordCount): the service is not paging as asked; nothing was loaded.")
    for i, row in enumerate(page):
        blank = [k for k in keys if row[k] is None or not str(row[k]).strip()]
        if blank:
            raise UpstreamFormatError(
                f"{what}: feature {i + 1} has no {', '.join(blank)} ({row[blank[0]]!r}); it is the lookup's key, so "
                f"the row cannot be placed (the row: {row}). Nothing was loaded; try again later.")


def _lookup_hint(code) -> str:
    if code in (400, 404):
        return (" ONS may have renamed or retired the service (a new boundary vintage?): check its services "
                f"directory. It was chosen by name pattern; {PIN_HINT}.")
    return " Nothing was loaded; try again later."


def _arcgis_doc(resp: Response, hint: str | None = None) -> dict:
    """The JSON object of an ArcGIS response; its `error` object (sent with HTTP 200) raised as such."""
    what = resp.request.describe()
    doc = resp.json_object()
    if "error" in doc:
        err = doc["error"]
        err = err if isinstance(err, dict) else {"message": err}
        hint = f" {hint}" if hint else _lookup_hint(err.get("code"))
        raise UpstreamFormatError(
            f"{what}: ArcGIS error {err.get('code')}: {err.get('message')} {err.get('details', '')}.{hint}")
    return doc


def _features(resp: Response, out_fields: list[str]) -> tuple[list[dict], bool]:
    """The page's rows (only `out_fields`) and whether ArcGIS says more pages follow."""
    what = resp.request.describe()
    doc = _arcgis_doc(resp)
    if "features" not in doc:
        raise UpstreamFormatError(f"{what}: no `features` in the response")
    out = []
    for f in doc["features"]:
        attrs = f.get("attributes", {})
        missing = [c for c in out_fields if c not in attrs]
        if missing:
            raise UpstreamFormatError(f"{what}: features lack fields {missing}; the service layout changed.")
        out.append({c: attrs[c] for c in out_fields})
    more = doc.get("exceededTransferLimit", False)
    if not isinstance(more, bool):  # bool("false") is True: a string here would page for ever
        raise UpstreamFormatError(f"{what}: exceededTransferLimit is {more!r}, not true or false; nothing was loaded.")
    return out, more


GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


def _geojson_features(resp: Response, out_fields: list[str]) -> tuple[list[dict], bool]:
    """A GeoJSON page's rows (`out_fields` of each feature's properties, and its geometry) and whether ArcGIS
    says more pages follow (`properties.exceededTransferLimit` of the collection, with f=geojson)."""
    what = resp.request.describe()
    doc = _arcgis_doc(resp)
    if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise UpstreamFormatError(f"{what}: not a GeoJSON FeatureCollection (type {doc.get('type')!r}, keys "
                                  f"{sorted(doc)}); nothing was loaded.")
    crs = ((doc.get("crs") or {}).get("properties") or {}).get("name")
    # RFC 7946 GeoJSON is WGS84 and ArcGIS names it EPSG:4326; another CRS here means outSR was ignored, and
    # metres drawn as degrees would put every ward off the map.
    if crs is not None and not str(crs).upper().endswith(("EPSG:4326", "EPSG::4326", "CRS84")):
        raise UpstreamFormatError(f"{what}: coordinates are in {crs}, not WGS84 (EPSG:4326) as asked (outSR=4326); "
                                  "nothing was loaded.")
    out = []
    for i, f in enumerate(doc["features"]):
        props = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(props, dict):
            raise UpstreamFormatError(f"{what}: feature {i + 1} has no properties; the service layout changed.")
        missing = [c for c in out_fields if c not in props]
        if missing:
            raise UpstreamFormatError(f"{what}: features lack fields {missing}; the service layout changed.")
        geom = f.get("geometry")
        if geom is not None and (not isinstance(geom, dict) or geom.get("type") not in GEOMETRY_TYPES
                                 or not isinstance(geom.get("coordinates"), list)):
            kind = geom.get("type") if isinstance(geom, dict) else type(geom).__name__
            raise UpstreamFormatError(f"{what}: feature {i + 1} ({props.get(out_fields[0])}) has a {kind} geometry, "
                                      f"not {' or '.join(GEOMETRY_TYPES)}; nothing was loaded.")
        out.append({**{c: props[c] for c in out_fields}, "geometry": geom})
    more = (doc.get("properties") or {}).get("exceededTransferLimit", doc.get("exceededTransferLimit", False))
    if not isinstance(more, bool):
        raise UpstreamFormatError(f"{what}: exceededTransferLimit is {more!r}, not true or false; nothing was loaded.")
    return out, more
