"""Derive the bundled geography reference (lmi_pipeline/geography/data/) from real ONS lookup files.

    python scripts/build_geography_reference.py --source DIR

DIR holds the real files named in lmi_pipeline/geography/data/README.md (ONS Open Geography Portal
ward lookups of December 2022 and May 2024, and DfE's NEET 16-17 local-authority file). Only England and
Wales are kept; columns and values are kept exactly as ONS published them (blank counties, E11
metropolitan counties, E13 Inner/Outer London, CTYUA equal to the district), so the demo upstream can
serve them in the real formats and the pipeline's handling of those conventions is exercised. Run it
by hand when ONS publishes a new vintage; the pipeline never runs it.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "lmi_pipeline" / "geography" / "data"
WARD_FILES = {
    2022: "ons_WD22_LAD22_CTY22_RGN22_CTRY22_UK_lookup_Dec2022.csv",
    2024: "ons_WD24_LAD24_CTYUA24_RGN24_CTRY24_UK_lookup_May2024.csv",
}
DFE_FILE = "dfe_ees__NEET_NK_16-17_LA_dashboard_UD_2025.csv"


def read_lookup(path: Path) -> tuple[list[str], list[dict]]:
    """An ONS lookup CSV as published: UTF-8 with a byte-order mark, names with commas quoted."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return [c for c in reader.fieldnames if c != "ObjectId"], list(reader)


def write_gzip_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    # Kept with ONS's UTF-8 byte-order mark, as served: the reader must cope with it. mtime=0: the same
    # input gives byte-identical output, so a rebuild shows no spurious diff.
    path.write_bytes(gzip.compress(("\ufeff" + buf.getvalue()).encode("utf-8"), mtime=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="folder holding the real ONS and DfE files")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for vintage, name in WARD_FILES.items():
        columns, rows = read_lookup(args.source / name)
        country = next(c for c in columns if c.startswith("CTRY") and c.endswith("CD"))
        kept = [r for r in rows if r[country][:1] in ("E", "W")]
        write_gzip_csv(OUT / f"wards_{vintage}.csv.gz", columns, kept)
        print(f"wards_{vintage}.csv.gz: {len(kept)} of {len(rows)} wards (England and Wales)")
    with (args.source / DFE_FILE).open(encoding="utf-8", newline="") as f:
        las = [r for r in csv.DictReader(f) if r["geographic_level"] == "Local authority"]
    columns = ["new_la_code", "old_la_code", "la_name", "region_code", "region_name"]
    with (OUT / "dfe_local_authorities.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted(las, key=lambda r: r["new_la_code"]))
    print(f"dfe_local_authorities.csv: {len(las)} upper-tier local authorities")


if __name__ == "__main__":
    main()
