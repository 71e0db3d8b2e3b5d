"""A synthetic GOV.UK asset host serving MHCLG's English Indices of Deprivation 2025 File 7.

GET /media/691ded56d140bbbaa59a2a7d/File_7_IoD2025_All_Ranks_Scores_Deciles_Population_Denominators.csv

The file is in the real File 7 layout (the same 56 headers in the same order, one of them truncated as MHCLG's
is: lmi_pipeline/clients/mhclg.py FILE7_HEADERS), with one row per English LSOA of the demo world (its made-up
E019 codes), sorted by code. Every value is SYNTHETIC DEMO DATA, driven by the LSOA's latent need (world.py) so
that the deprived neighbourhoods of the demo are the ones with high claimant rates, but only partly: plausible
levels (an Employment rate near 8%, an Income rate near 11%, an IMD score near 20), ranks placed within
England's 33,755 as if the score sat in a national distribution, deciles from the ranks, and mid-2022
population denominators from the LSOA's residents. Any other path is GOV.UK's HTML 404 page.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from lmi_demo.world import World, _normal, code_key
from lmi_pipeline.clients.mhclg import ENGLISH_LSOAS_2021, FILE7_HEADERS, FILE7_PATH

NOT_FOUND = (b"<!DOCTYPE html><html lang=\"en\"><head><title>Page not found - GOV.UK</title></head>"
             b"<body><h1>Page not found</h1></body></html>")
# Each block of three columns after the LSOA and district: (kind, typical level, spread). "rate": a proportion;
# "score": a non-negative score; "z": a standardised score around 0 (the health, crime and sub-domain scores).
BLOCKS = [("score", 20.0, 0.55), ("rate", 0.11, 0.5), ("rate", 0.08, 0.45), ("score", 21.0, 0.6),
          ("z", 0.0, 0.8), ("z", 0.0, 0.8), ("score", 22.0, 0.35), ("score", 22.0, 0.45),
          ("rate", 0.13, 0.55), ("rate", 0.14, 0.45),
          ("z", 0.0, 0.8), ("z", 0.0, 0.8), ("z", 0.0, 0.8), ("z", 0.0, 0.8), ("z", 0.0, 0.8), ("z", 0.0, 0.8)]


def _rank(z: float) -> int:
    """Where a standardised deprivation z sits among England's LSOAs: 1 = most deprived."""
    share_more_deprived = 0.5 * math.erfc(z / math.sqrt(2))
    return int(min(ENGLISH_LSOAS_2021, max(1, round(ENGLISH_LSOAS_2021 * share_more_deprived))))


def _decile(rank: int) -> int:
    return min(10, (rank - 1) * 10 // ENGLISH_LSOAS_2021 + 1)


class MhclgSim:
    def __init__(self, world: World):
        self.world = world
        self._body: bytes | None = None

    def handle(self, path: str, args: dict[str, str]) -> tuple[int, str, bytes]:
        if path == FILE7_PATH:
            return 200, "text/csv", self.file7()
        return 404, "text/html; charset=utf-8", NOT_FOUND

    def english_lsoas(self) -> list:
        return sorted((s for s in self.world.lsoas if s.lad_code.startswith("E")), key=lambda s: s.code)

    def lsoas(self) -> int:
        """Rows of the File 7 served (one per English LSOA of the world)."""
        return len(self.english_lsoas())

    def file7(self) -> bytes:
        if self._body is None:
            self._body = self._build()
        return self._body

    def _build(self) -> bytes:
        buf = io.StringIO()
        out = csv.writer(buf, lineterminator="\n")  # unverified: the real file's line endings
        out.writerow(FILE7_HEADERS)
        for lsoa in self.english_lsoas():
            key = code_key(lsoa.code)
            lad = self.world.by_code[lsoa.lad_code]
            row: list[str] = [lsoa.code, lsoa.name, lad.code, lad.name]
            for b, (kind, level, spread) in enumerate(BLOCKS):
                # The overall IMD and the Income and Employment domains follow the need closely, the rest loosely.
                z = (1.0 if b < 3 else 0.6) * lsoa.need + (0.25 if b < 3 else 0.7) * _normal(key, 40 + b)
                if kind == "rate":
                    score = f"{float(np.clip(level * math.exp(spread * z), 0.001, 0.95)):.3f}"
                elif kind == "score":
                    score = f"{float(np.clip(level * math.exp(spread * z), 0.2, 95.0)):.3f}"
                else:
                    score = f"{z:.3f}"
                rank = _rank(z)
                row += [score, str(rank), str(_decile(rank))]
            total = round(lsoa.pop16_64 / 0.64)
            row += [str(total), str(round(0.18 * total)), str(round(0.24 * total)), str(round(lsoa.pop16_64 * 0.98))]
            out.writerow(row)
        return buf.getvalue().encode("utf-8")
