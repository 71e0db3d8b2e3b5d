"""Synthetic survey estimates as Nomis serves them: APS (NM_17_5) and model-based unemployment (NM_127_1).

Both are rolling 12-month estimates, quarterly (DATE "2026-06", DATE_NAME "Jul 2025-Jun 2026"), for
districts, counties, regions and countries only. APS comes with measures 20599 (the estimate), 21001
numerator, 21002 denominator and 21003 confidence (half-width of the 95% interval, percentage points);
small-sample district unemployment cells are suppressed ("!", value empty) or flagged unreliable ("*").
Model-based estimates (districts and counties only) have measures 20100 value and 20701 confidence. SYNTHETIC DEMO DATA: levels
follow each area's made-up claimant rate; intervals shrink with the area's (made-up) sample size.
"""

from __future__ import annotations

import calendar
from functools import cached_property

import numpy as np

from lmi_demo.nomis_sim import Dim, SimDataset
from lmi_demo.world import World, _noise

SURVEY_TYPES = {
    "country": [(499, "countries")],
    "region": [(480, "regions")],
    "county": [(423, "local authorities: county / unitary (as of April 2023)")],
    "lad": [(424, "local authorities: district / unitary (as of April 2023)")],
}
APS_RELEASED = "2026-10-14 09:30:00"
FIRST_QUARTER, LAST_QUARTER = "2019-03", "2026-06"  # 12 months ending March 2019 .. ending June 2026
APS_VARIABLES = [(18, "% of all people aged 16+ who are economically active"), (45, "Employment rate - aged 16-64"),
                 # Nomis serves 84's label with a trailing space (tests/fixtures/nomis); so does the sim.
                 (83, "Unemployment rate - aged 16+"), (84, "Unemployment rate - aged 16-64 "),
                 (111, "% who are economically inactive - aged 16-64")]
APS_MEASURES = [(20599, "Variable"), (21001, "Numerator"), (21002, "Denominator"), (21003, "Confidence")]
MODEL_ITEMS = [(1, "Unemployment count (model based)"), (2, "Unemployment rate (model based)")]
# Model-based estimates are made for local authorities only (districts and counties / unitaries).
MODEL_TYPES = {level: SURVEY_TYPES[level] for level in ("lad", "county")}
MODEL_MEASURES = [(20100, "Value"), (20701, "Confidence")]
# Cells the demo always suppresses, so the pipeline's handling is visible: (area, period, variable).
FORCED_SUPPRESSED = {("E07000062", "2024-06", 83), ("E07000062", "2024-06", 84)}


def quarters(first: str = FIRST_QUARTER, last: str = LAST_QUARTER) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, m - 9) if m > 9 else (y, m + 3)
    return out


def period_name(end: str) -> str:
    """'2026-06' -> 'Jul 2025-Jun 2026': the 12 months ending that month."""
    y, m = map(int, end.split("-"))
    sy, sm = (y, m + 1) if m < 12 else (y + 1, 1)
    sy -= 1
    return f"{calendar.month_abbr[sm]} {sy}-{calendar.month_abbr[m]} {y}"


class SurveyModel:
    def __init__(self, world: World):
        self.world = world
        self.dates = quarters()

    @cached_property
    def pop(self) -> np.ndarray:
        return self.world.population_table("16-64", [2024])[:, 0]

    @cached_property
    def claimant_rate(self) -> np.ndarray:
        """area x quarter: the 12-month average claimant rate the estimates follow."""
        claimants = self.world.claimants["total"]
        month_pos = {m: i for i, m in enumerate(self.world.months)}
        out = np.zeros((len(self.pop), len(self.dates)))
        for t, d in enumerate(self.dates):
            window = [month_pos[m] for m in _window(d) if m in month_pos]
            out[:, t] = 100 * claimants[:, window].mean(axis=1) / np.maximum(self.pop, 1)
        return out

    def aps(self, i: np.ndarray, t: np.ndarray, var: np.ndarray, measure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cr = self.claimant_rate[i, t]
        pop = self.pop[i]
        sample = np.maximum(pop / 260, 30)  # achieved APS sample, roughly
        k = self.world.keys[i]
        unemp = np.round(0.75 * cr + 1.3 + 0.4 * _noise(k, t, 83), 1)
        emp = np.round(77.5 - 1.2 * unemp + 1.2 * _noise(k, t, 45), 1)
        active = emp / (1 - unemp / 100)
        rate = np.select([var == 18, var == 45, var == 83, var == 84, var == 111],
                         [np.round(active * 0.8, 1), emp, unemp, np.round(unemp * 1.04, 1), np.round(100 - active, 1)])
        base = np.where(np.isin(var, [83, 84]), active / 100 * pop, pop)
        numerator = np.round(rate / 100 * base, -2)
        conf = np.round(196 * np.sqrt(rate / 100 * (1 - rate / 100) / (sample * np.where(np.isin(var, [83, 84]),
                                                                                          active / 100, 1))), 1)
        value = np.select([measure == 20599, measure == 21001, measure == 21002, measure == 21003],
                          [rate, numerator, np.round(base, -2), conf])
        levels = np.array([a.level for a in self.world.areas + self.world.lsoas])
        is_lad = levels[i] == "lad"
        expected = sample * rate / 100 * np.where(np.isin(var, [83, 84]), active / 100, 1)
        codes = [a.code for a in self.world.areas + self.world.lsoas]
        forced = np.array([(codes[k], self.dates[d], int(v)) in FORCED_SUPPRESSED
                           for k, d, v in zip(i, t, var)], dtype=bool)
        suppressed = is_lad & np.isin(var, [83, 84]) & (forced | (_noise(k, t, var, 7) > 0.8))
        unreliable = ~suppressed & (expected < 10)
        status = np.where(suppressed, "!", np.where(unreliable, "*", "A"))
        return np.where(suppressed, np.nan, value), status

    def model(self, i: np.ndarray, t: np.ndarray, item: np.ndarray, measure: np.ndarray):
        cr = self.claimant_rate[i, t]
        pop = self.pop[i]
        rate = np.round(0.75 * cr + 1.3 + 0.15 * _noise(self.world.keys[i], t, 127), 1)
        count = np.round(rate / 100 * pop * 0.79, -1)
        conf_rate = np.round(np.clip(10 / np.sqrt(np.maximum(pop, 1) / 1000), 0.1, 2.5), 1)  # narrower than the APS
        value = np.where(item == 2, np.where(measure == 20100, rate, conf_rate),
                         np.where(measure == 20100, count, np.round(count * conf_rate / np.maximum(rate, 0.1), -1)))
        return value, np.full(len(value), "A")


def _window(end: str) -> list[str]:
    y, m = map(int, end.split("-"))
    out = []
    for _ in range(12):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


def survey_datasets(world: World) -> list[SimDataset]:
    model = SurveyModel(world)
    names = [period_name(d) for d in model.dates]
    variable = Dim("VARIABLE", [c for c, _ in APS_VARIABLES], [n for _, n in APS_VARIABLES])
    item = Dim("ITEM", [c for c, _ in MODEL_ITEMS], [n for _, n in MODEL_ITEMS])
    aps_codes = np.array([c for c, _ in APS_VARIABLES])
    aps_measures = np.array([c for c, _ in APS_MEASURES])
    item_codes = np.array([c for c, _ in MODEL_ITEMS])
    model_measures = np.array([c for c, _ in MODEL_MEASURES])

    def aps_values(area_i, date_i, dims):
        return model.aps(area_i, date_i, aps_codes[dims["VARIABLE"]], aps_measures[dims["MEASURES"]])

    def model_values(area_i, date_i, dims):
        return model.model(area_i, date_i, item_codes[dims["ITEM"]], model_measures[dims["MEASURES"]])

    note = "SYNTHETIC DEMO DATA served by lmi_demo."
    return [
        SimDataset("NM_17_5", "annual population survey - variables (percentages)", model.dates, names, [variable],
                   aps_values, f"Annual Population Survey: percentages with confidence intervals. {note}",
                   measures=APS_MEASURES, geo_types=SURVEY_TYPES, released=APS_RELEASED),
        SimDataset("NM_127_1", "model-based estimates of unemployment", model.dates, names, [item], model_values,
                   f"Model-based estimates of unemployment for local authorities. {note}",
                   measures=MODEL_MEASURES, geo_types=MODEL_TYPES, released=APS_RELEASED),
    ]
