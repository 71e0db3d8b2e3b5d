"""Derive the bundled ward boundaries (lmi_pipeline/geography/data/ward_boundaries_2024_bsc.geojson.gz) from
a GeoJSON of ONS's "Wards (May 2024) Boundaries UK BSC" in British National Grid (EPSG:27700) metres.

    python scripts/derive_ward_boundaries.py SOURCE.geojson[.gz] [--out PATH]

Keeps the wards of England and Wales (E05/W05), reprojects every vertex to WGS84 longitude/latitude and rounds
it to 5 decimal places (about 1 m), dropping a vertex that rounds onto its predecessor. Nothing else is
simplified. The reprojection is the Ordnance Survey's own method (A Guide to Coordinate Systems in Great
Britain): the inverse Transverse Mercator of the National Grid on the Airy 1830 ellipsoid gives OSGB36
latitude/longitude, and a 7-parameter Helmert transformation takes it to WGS84. OS quotes the Helmert step as
good to about 5 m, well inside a generalised (BSC) boundary's own error; no pyproj is needed.

The output is a FeatureCollection whose features hold only what ONS's service serves about a ward's shape:
`WD24CD`, `WD24NM`, `LAD24CD` and the geometry (Polygon or MultiPolygon, as in the source).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "lmi_pipeline" / "geography" / "data" / "ward_boundaries_2024_bsc.geojson.gz"
KEEP = ("E05", "W05")  # English and Welsh wards: the pipeline covers England and Wales
DP = 5

# National Grid: Airy 1830 ellipsoid, true origin 49N 2W, false origin -100 km N / +400 km E, scale 0.9996012717.
A, B = 6377563.396, 6356256.909
F0, LAT0, LON0, N0, E0 = 0.9996012717, math.radians(49), math.radians(-2), -100_000.0, 400_000.0
E2 = 1 - (B * B) / (A * A)
N_ = (A - B) / (A + B)
# OSGB36 -> WGS84: OS publishes WGS84 -> OSGB36 (tx -446.448 m, ty +125.157, tz -542.060, scale +20.4894 ppm,
# rx -0.1502", ry -0.2470", rz -0.8421"); the inverse negates every parameter (good to the same ~5 m).
TX, TY, TZ, S_PPM = 446.448, -125.157, 542.060, -20.4894
RX, RY, RZ = (math.radians(s / 3600) for s in (0.1502, 0.2470, 0.8421))
A_WGS, B_WGS = 6378137.000, 6356752.3141


def _meridional_arc(lat: float) -> float:
    dl, sl = lat - LAT0, lat + LAT0
    return B * F0 * ((1 + N_ + 5 / 4 * N_**2 + 5 / 4 * N_**3) * dl
                     - (3 * N_ + 3 * N_**2 + 21 / 8 * N_**3) * math.sin(dl) * math.cos(sl)
                     + (15 / 8 * N_**2 + 15 / 8 * N_**3) * math.sin(2 * dl) * math.cos(2 * sl)
                     - 35 / 24 * N_**3 * math.sin(3 * dl) * math.cos(3 * sl))


def grid_to_osgb36(e: float, n: float) -> tuple[float, float]:
    """Easting/northing (m) -> OSGB36 latitude, longitude (radians)."""
    lat, m = LAT0, 0.0
    while True:
        lat = (n - N0 - m) / (A * F0) + lat
        m = _meridional_arc(lat)
        if abs(n - N0 - m) < 1e-5:
            break
    s, c, t = math.sin(lat), math.cos(lat), math.tan(lat)
    nu = A * F0 / math.sqrt(1 - E2 * s * s)
    rho = A * F0 * (1 - E2) / (1 - E2 * s * s) ** 1.5
    eta2 = nu / rho - 1
    vii = t / (2 * rho * nu)
    viii = t / (24 * rho * nu**3) * (5 + 3 * t * t + eta2 - 9 * t * t * eta2)
    ix = t / (720 * rho * nu**5) * (61 + 90 * t * t + 45 * t**4)
    x = 1 / (c * nu)
    xi = 1 / (c * 6 * nu**3) * (nu / rho + 2 * t * t)
    xii = 1 / (c * 120 * nu**5) * (5 + 28 * t * t + 24 * t**4)
    xiia = 1 / (c * 5040 * nu**7) * (61 + 662 * t * t + 1320 * t**4 + 720 * t**6)
    de = e - E0
    return (lat - vii * de**2 + viii * de**4 - ix * de**6,
            LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7)


def osgb36_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """OSGB36 latitude, longitude (radians, on Airy 1830) -> WGS84 longitude, latitude (degrees)."""
    s = math.sin(lat)
    nu = A / math.sqrt(1 - E2 * s * s)
    x, y, z = nu * math.cos(lat) * math.cos(lon), nu * math.cos(lat) * math.sin(lon), (1 - E2) * nu * s
    k = 1 + S_PPM * 1e-6
    x2 = TX + k * x - RZ * y + RY * z
    y2 = TY + RZ * x + k * y - RX * z
    z2 = TZ - RY * x + RX * y + k * z
    e2 = 1 - (B_WGS * B_WGS) / (A_WGS * A_WGS)
    p = math.hypot(x2, y2)
    phi = math.atan2(z2, p * (1 - e2))
    for _ in range(10):
        nu2 = A_WGS / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        phi = math.atan2(z2 + e2 * nu2 * math.sin(phi), p)
    return math.degrees(math.atan2(y2, x2)), math.degrees(phi)


def to_wgs84(e: float, n: float) -> list[float]:
    lon, lat = osgb36_to_wgs84(*grid_to_osgb36(e, n))
    return [round(lon, DP), round(lat, DP)]


def _ring(ring: list) -> list:
    out: list = []
    for e, n, *_ in ring:
        point = to_wgs84(e, n)
        if not out or point != out[-1]:
            out.append(point)
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def _geometry(geom: dict) -> dict:
    if geom["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [_ring(r) for r in geom["coordinates"]]}
    if geom["type"] == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [[_ring(r) for r in p] for p in geom["coordinates"]]}
    raise ValueError(f"unexpected geometry type {geom['type']}")


def _open(path: Path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def derive(source: Path, out: Path) -> int:
    with _open(source) as f:
        doc = json.load(f)
    crs = json.dumps(doc.get("crs", {}))
    if "27700" not in crs:
        raise SystemExit(f"{source}: its crs is {crs or 'not given'}, not EPSG:27700 (British National Grid)")
    features = []
    for feat in doc["features"]:
        p = feat["properties"]
        if not str(p["ward_code"]).startswith(KEEP):
            continue
        features.append({"type": "Feature", "properties": {"WD24CD": p["ward_code"], "WD24NM": p["ward_name"],
                                                             "LAD24CD": p["lad_code"]},
                         "geometry": _geometry(feat["geometry"])})
    features.sort(key=lambda f: f["properties"]["WD24CD"])
    body = {"type": "FeatureCollection", "name": "Wards (May 2024) Boundaries UK BSC, England and Wales, WGS84",
            "features": features}
    out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same source gives byte-identical output.
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    return len(features)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the EPSG:27700 ward boundaries GeoJSON (optionally gzipped)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    n = derive(args.source, args.out)
    print(f"{args.out}: {n} wards, {args.out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
