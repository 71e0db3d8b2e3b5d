"""How far rounding alone could move a ward's priority rank: a seeded simulation, vectorised per district.

Claimant counts are published rounded to the nearest 5, so a ward's rate could be anything its rounding
range (`lower`..`upper`) allows. Each draw re-draws every component that has a range, recomputes the
z-scores and the composite exactly as priority_scores.sql does, and ranks the wards again. A level is drawn
uniformly within its range; a change on a year earlier, being the difference of two rounded figures, is
drawn as the sum of two uniform halves of its range (a triangular distribution). Figures without a range
(the Census, deprivation) stay as they are. Only rounding is simulated, not sampling or month-to-month
noise, so the true uncertainty is wider than these intervals.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pyarrow as pa

DRAWS = 5000
SEED = 20210321  # Census day; any fixed number would do, so results repeat run to run
INTERVAL = (0.025, 0.975)  # a 95% interval of the rank

INTERVAL_COLUMNS = {"lad_code": pa.string(), "ward_code": pa.string(), "ward_vintage": pa.int64(),
                    "rank_low": pa.int64(), "rank_high": pa.int64(), "share_top": pa.float64(),
                    "draws": pa.int64()}


def rank_intervals(components: pd.DataFrame, draws: int = DRAWS, seed: int = SEED) -> pa.Table:
    """`components`: one row per ward x component used, with lad_code, ward_code, ward_vintage, component,
    measure, weight, value, lower, upper. Returns each ward's 95% rank interval and share of draws at rank 1."""
    out = [_district(d, group, draws, seed) for d, group in components.groupby("lad_code", sort=True)]
    if not out:
        return pa.table({c: pa.array([], t) for c, t in INTERVAL_COLUMNS.items()})
    return pa.Table.from_pandas(pd.concat(out, ignore_index=True), schema=pa.schema(INTERVAL_COLUMNS),
                                preserve_index=False)


def _district(lad_code: str, group: pd.DataFrame, draws: int, seed: int) -> pd.DataFrame:
    # A district's draws depend only on its own seed, so adding a district elsewhere changes nothing here.
    rng = np.random.default_rng([seed, zlib.crc32(lad_code.encode())])
    wide = group.pivot_table(index=["ward_code", "ward_vintage"], columns="component",
                             values=["value", "lower", "upper"], aggfunc="first", dropna=False)
    comps = sorted(group["component"].unique())  # a fixed order: the draws must not follow the rows' order
    first = group.drop_duplicates("component").set_index("component")
    weights = first.loc[comps, "weight"].to_numpy(float)
    is_change = (first.loc[comps, "measure"] == "change_12m").to_numpy()
    value = wide["value"][comps].to_numpy(float)  # wards x components
    lower = wide["lower"][comps].to_numpy(float)
    upper = wide["upper"][comps].to_numpy(float)
    has_range = ~(np.isnan(lower) | np.isnan(upper))
    lower = np.where(has_range, lower, value)
    upper = np.where(has_range, upper, value)
    n_wards = value.shape[0]

    u = rng.random((draws, n_wards, len(comps)))
    u = np.where(is_change, (u + rng.random(u.shape)) / 2, u)
    sim = lower + (upper - lower) * u  # draws x wards x components
    sd = sim.std(axis=1, keepdims=True)
    z = np.divide(sim - sim.mean(axis=1, keepdims=True), sd, out=np.zeros_like(sim), where=sd > 0)
    score = (z * weights).sum(axis=2) / weights.sum()
    ranks = (-score).argsort(axis=1).argsort(axis=1) + 1  # 1 = highest score in that draw
    low, high = np.quantile(ranks, INTERVAL, axis=0, method="inverted_cdf")
    return pd.DataFrame({
        "lad_code": lad_code,
        "ward_code": wide.index.get_level_values("ward_code"),
        "ward_vintage": wide.index.get_level_values("ward_vintage").astype("int64"),
        "rank_low": low.astype("int64"), "rank_high": high.astype("int64"),
        "share_top": (ranks == 1).mean(axis=0), "draws": draws,
    })
