"""Cut the small real IoD 2025 test fixture (tests/fixtures/mhclg/) from the real files, by hand.

    python scripts/build_iod_fixture.py --source DIR

DIR holds `mhclg_IoD2025_LSOA21_England_ranks_deciles_scores__humaniverse_IMD.csv.gz` (MHCLG's IoD 2025 ranks,
deciles and scores for every 2021 LSOA in England, as converted from MHCLG's File 7 by the R package
`humaniverse/IMD`; the package's column names, not MHCLG's) and
`ons_LSOA21_WD23_LAD23_lookup__Hastings_Maidstone_only.csv` (ONS's LSOA21 -> ward (2023) best-fit lookup).
Writes, with every kept value exactly as in the source:
- `iod2025_hastings_lsoa21__humaniverse_IMD.csv`: the IMD, Income and Employment rank, decile and score of
  Hastings' 53 LSOAs and of the LSOA ranked 1 (most deprived) on each of the three, sorted by code;
- `ons_LSOA21_WD23_LAD23_lookup__Hastings.csv`: the lookup rows of Hastings' LSOAs (code and name of the LSOA,
  its 2023 ward and district; ONS's UTF-8 byte-order mark kept).
The pipeline never runs it.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mhclg"
IOD = "mhclg_IoD2025_LSOA21_England_ranks_deciles_scores__humaniverse_IMD.csv.gz"
LOOKUP = "ons_LSOA21_WD23_LAD23_lookup__Hastings_Maidstone_only.csv"
IOD_COLUMNS = ["lsoa21_code", "IMD_decile", "Income_decile", "Employment_decile", "IMD_rank", "Income_rank",
               "Employment_rank", "IMD_score", "Income_score", "Employment_score"]
LOOKUP_COLUMNS = ["LSOA21CD", "LSOA21NM", "WD23CD", "WD23NM", "LAD23CD", "LAD23NM"]
HASTINGS = "E07000062"


def write(path: Path, columns: list[str], rows: list[dict], bom: bool = False) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buf.getvalue().encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True)
    args = parser.parse_args()
    with (args.source / LOOKUP).open(encoding="utf-8-sig", newline="") as f:
        lookup = [r for r in csv.DictReader(f) if r["LAD23CD"] == HASTINGS]
    with gzip.open(args.source / IOD, "rt", encoding="utf-8-sig", newline="") as f:
        iod = list(csv.DictReader(f))
    wanted = {r["LSOA21CD"] for r in lookup}
    wanted |= {r["lsoa21_code"] for r in iod if "1" in (r["IMD_rank"], r["Income_rank"], r["Employment_rank"])}
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "iod2025_hastings_lsoa21__humaniverse_IMD.csv", IOD_COLUMNS,
          sorted((r for r in iod if r["lsoa21_code"] in wanted), key=lambda r: r["lsoa21_code"]))
    write(OUT / "ons_LSOA21_WD23_LAD23_lookup__Hastings.csv", LOOKUP_COLUMNS,
          sorted(lookup, key=lambda r: r["LSOA21CD"]), bom=True)
    print(f"{len(wanted)} LSOAs, {len(lookup)} lookup rows")


if __name__ == "__main__":
    main()
