"""Synthetic survey estimates as Nomis serves them: APS (NM_17_5), model-based unemployment (NM_127_1), and
the annual ASHE resident analysis (NM_30_1) and jobs density (NM_57_1).

Both are rolling 12-month estimates, quarterly (DATE "2026-06", DATE_NAME "Jul 2025-Jun 2026"), for
districts, counties, regions and countries only. APS comes with measures 20599 (the estimate), 21001
numerator, 21002 denominator and 21003 confidence (half-width of the 95% interval, percentage points);
small-sample district unemployment cells are suppressed ("!", value empty) or flagged unreliable ("*").
Model-based estimates (districts and counties only) have measures 20100 value and 20701 confidence. SYNTHETIC DEMO DATA: levels
follow each area's made-up claimant rate; intervals shrink with the area's (made-up) sample size.

ASHE and jobs density are annual (DATE "2025", DATE_NAME "2025") and, as in the real bodies
(tests/fixtures/nomis), GEOGRAPHY holds the GSS code and PAY_TYPE is "item". ASHE: SEX (7 Total, 8 Male,
9 Female, 1 Full Time Workers, 2 Part Time Workers), PAY (1 Weekly pay - gross, 7 Annual pay - gross), ITEM
(2 Median, 3 Mean), measures 20100 Value and 20701 Confidence; a few district cells are "#" (sample too small,
value empty). Jobs density: ITEM 1 Total jobs, 3 Jobs density, measures 20100. SYNTHETIC DEMO DATA: pay
falls a little as the made-up claimant rate rises; jobs density is noise around 0.8.
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
ANNUAL_RELEASED = "2026-10-28 09:30:00"
ASHE_YEARS = [str(y) for y in range(2019, 2026)]  # 2025 provisional, as on Nomis in late 2026
JOBS_YEARS = [str(y) for y in range(2019, 2024)]
ASHE_SEX = [(7, "Total"), (8, "Male"), (9, "Female"), (1, "Full Time Workers"), (2, "Part Time Workers")]
ASHE_PAY = [(1, "Weekly pay - gross"), (7, "Annual pay - gross")]
ASHE_ITEMS = [(2, "Median"), (3, "Mean")]
ASHE_MEASURES = [(20100, "Value"), (20701, "Confidence")]
JOBS_ITEMS = [(1, "Total jobs"), (3, "Jobs density")]
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


class AnnualModel:
    """ASHE pay and jobs density, per area and year (synthetic)."""

    def __init__(self, world: World):
        self.world = world

    @cached_property
    def pop(self) -> np.ndarray:
        return self.world.population_table("16-64", [2024])[:, 0]

    @cached_property
    def claimant_rate(self) -> np.ndarray:
        claimants = self.world.claimants["total"][:, -12:].mean(axis=1)
        return 100 * claimants / np.maximum(self.pop, 1)

    def ashe(self, i, t, sex, pay, item, measure):
        k = self.world.keys[i]
        # Full-time median weekly pay near £730 in 2025, growing ~4% a year, lower where claimant rates are high.
        weekly_ft = 730 * (1.04 ** (t - (len(ASHE_YEARS) - 1))) * (1 - 0.03 * (self.claimant_rate[i] - 3)) \
            * (1 + 0.05 * _noise(k, 30))
        sex_factor = np.select([sex == 1, sex == 2, sex == 7, sex == 8], [1.0, 0.33, 0.85, 0.95], 0.75)
        weekly = weekly_ft * sex_factor * np.where(item == 3, 1.12, 1.0)
        value = np.round(np.where(pay == 7, weekly * 52, weekly), 1)
        sample = np.maximum(self.pop[i] / 100 * 0.6, 20)  # ~1% of jobs, about 60% of residents work
        cv = np.round(100 * 1.6 / np.sqrt(sample * np.where(sex == 2, 0.25, 1.0)), 1)
        levels = np.array([a.level for a in self.world.areas + self.world.lsoas])
        suppressed = (levels[i] == "lad") & (sex == 2) & (_noise(k, t, 31) > 0.6)  # part-time cells, some years
        out = np.where(measure == 20100, value, cv)
        return np.where(suppressed, np.nan, out), np.where(suppressed, "#", "A")

    def jobs(self, i, t, item):
        k = self.world.keys[i]
        density = np.round(np.clip(0.82 + 0.12 * _noise(k, 57) + 0.01 * _noise(k, t, 58), 0.4, 1.6), 2)
        total = np.round(density * self.pop[i], -3)
        return np.where(item == 3, density, total), np.full(len(i), "A")


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
    annual = AnnualModel(world)
    sex = Dim("SEX", [c for c, _ in ASHE_SEX], [n for _, n in ASHE_SEX])
    pay = Dim("PAY", [c for c, _ in ASHE_PAY], [n for _, n in ASHE_PAY], type_text="item")
    ashe_item = Dim("ITEM", [c for c, _ in ASHE_ITEMS], [n for _, n in ASHE_ITEMS])
    jobs_item = Dim("ITEM", [c for c, _ in JOBS_ITEMS], [n for _, n in JOBS_ITEMS])

    ashe_measures = np.array([c for c, _ in ASHE_MEASURES])

    def ashe_values(area_i, date_i, dims):
        return annual.ashe(area_i, date_i, np.array(sex.codes)[dims["SEX"]], np.array(pay.codes)[dims["PAY"]],
                           np.array(ashe_item.codes)[dims["ITEM"]], ashe_measures[dims["MEASURES"]])

    def jobs_values(area_i, date_i, dims):
        return annual.jobs(area_i, date_i, np.array(jobs_item.codes)[dims["ITEM"]])


    return [
        SimDataset("NM_30_1", "annual survey of hours and earnings - resident analysis", ASHE_YEARS, ASHE_YEARS,
                   [sex, pay, ashe_item], ashe_values,
                   f"Annual Survey of Hours and Earnings: resident analysis. {note}", measures=ASHE_MEASURES,
                   geo_types=SURVEY_TYPES, released=ANNUAL_RELEASED, geography_is_gss=True),
        SimDataset("NM_57_1", "jobs density", JOBS_YEARS, JOBS_YEARS, [jobs_item], jobs_values,
                   f"Jobs density: jobs per resident aged 16-64. {note}", geo_types=SURVEY_TYPES,
                   released=ANNUAL_RELEASED, geography_is_gss=True),
        SimDataset("NM_17_5", "annual population survey - variables (percentages)", model.dates, names, [variable],
                   aps_values, f"Annual Population Survey: percentages with confidence intervals. {note}",
                   measures=APS_MEASURES, geo_types=SURVEY_TYPES, released=APS_RELEASED),
        SimDataset("NM_127_1", "model-based estimates of unemployment", model.dates, names, [item], model_values,
                   f"Model-based estimates of unemployment for local authorities. {note}",
                   measures=MODEL_MEASURES, geo_types=MODEL_TYPES, released=APS_RELEASED),
    ]
