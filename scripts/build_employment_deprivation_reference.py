"""Derive the bundled IoD 2025 Employment domain file (lmi_pipeline/geography/data/) from the real MHCLG data.

    python scripts/build_employment_deprivation_reference.py --source DIR

DIR holds `mhclg_IoD2025_LSOA21_England_ranks_deciles_scores__humaniverse_IMD.csv.gz`: the English Indices
of Deprivation 2025 ranks, deciles and scores for every 2021 LSOA in England, as converted from the R package
`humaniverse/IMD` (built from MHCLG's File 7; see lmi_pipeline/geography/data/README.md). Only the Employment
domain is kept: `lsoa_code, employment_score, employment_rank, employment_decile`. The score is published as a
proportion (0-1, three decimal places) and is written here as a percentage, exactly (0.014 -> 1.4: decimal
arithmetic, no floating point); rank 1 and decile 1 are the most deprived, as MHCLG publishes them. Every
English LSOA is kept (33,755). Run it by hand when MHCLG publishes new indices; the pipeline never runs it.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
from decimal import Decimal
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "lmi_pipeline" / "geography" / "data"
SOURCE_FILE = "mhclg_IoD2025_LSOA21_England_ranks_deciles_scores__humaniverse_IMD.csv.gz"
OUT_FILE = "iod2025_employment_lsoa21.csv.gz"
COLUMNS = ["lsoa_code", "employment_score", "employment_rank", "employment_decile"]
ENGLISH_LSOAS_2021 = 33_755  # LSOA 2021 in England (IoD 2019 used 32,844 LSOA 2011)


def read_source(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def employment_rows(rows: list[dict]) -> list[dict]:
    """The Employment domain of each LSOA, the score as a percentage; refuses anything unexpected."""
    out = []
    for r in rows:
        code, score = r["lsoa21_code"], Decimal(r["Employment_score"])
        rank, decile = int(r["Employment_rank"]), int(r["Employment_decile"])
        if not (code.startswith("E01") and len(code) == 9):
            raise ValueError(f"{code}: not an English 2021 LSOA code")
        if not (0 <= score <= 1):
            raise ValueError(f"{code}: employment score {score} is not a proportion (0-1)")
        if not (1 <= rank <= len(rows) and 1 <= decile <= 10):
            raise ValueError(f"{code}: rank {rank} or decile {decile} out of range")
        out.append({"lsoa_code": code, "employment_score": f"{score * 100:.1f}",
                    "employment_rank": rank, "employment_decile": decile})
    codes = {r["lsoa_code"] for r in out}
    if len(codes) != len(out) or len(out) != ENGLISH_LSOAS_2021:
        raise ValueError(f"{len(out)} rows, {len(codes)} distinct LSOAs: expected {ENGLISH_LSOAS_2021} of each")
    if sorted(r["employment_rank"] for r in out) != list(range(1, len(out) + 1)):
        raise ValueError("employment ranks are not 1..n, each once")
    return sorted(out, key=lambda r: r["lsoa_code"])


def write_gzip_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    # No byte-order mark (this is not an ONS lookup). mtime=0: the same input gives byte-identical output.
    path.write_bytes(gzip.compress(buf.getvalue().encode("utf-8"), mtime=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="folder holding the real IoD 2025 file")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = employment_rows(read_source(args.source / SOURCE_FILE))
    write_gzip_csv(OUT / OUT_FILE, COLUMNS, rows)
    digest = hashlib.sha256((OUT / OUT_FILE).read_bytes()).hexdigest()
    print(f"{OUT_FILE}: {len(rows)} English LSOAs (2021), Employment domain; sha256 {digest}")


if __name__ == "__main__":
    main()
