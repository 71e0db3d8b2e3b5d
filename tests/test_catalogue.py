"""The indicator catalogue (lmi_pipeline/indicators/catalogue.toml): read and checked as data."""

import re

import pytest

from lmi_pipeline.indicators.catalogue import CATALOGUE, INDICATORS, CatalogueError, load_indicators


def test_named_caveats_are_joined_in_order_and_the_default_licence_applies():
    by_name = {i.indicator: i for i in INDICATORS}
    youth = by_name["claimant_rate_16_24"]
    assert youth.caveats.startswith("Counts are rounded to the nearest 5 by DWP")
    assert youth.caveats.endswith("below region level. Derived: not an official ward statistic.")
    assert youth.licence == "Open Government Licence v3.0"
    assert by_name["iod_employment_deprivation"].licence.endswith("(MHCLG)")
    assert by_name["census_unemployment_rate"].reference_months == 1
    assert by_name["claimant_count"].reference_months is None


@pytest.mark.parametrize("edit, message", [
    (('caveats = ["claimant"]', 'caveats = ["claimnat"]'),
     "catalogue.toml, indicator 'claimant_count': caveat(s) ['claimnat'] not defined"),
    (('release_lag_days = 16\n', 'release_lag_dyas = 16\n'),
     "catalogue.toml, indicator 'claimant_count': unknown field(s) ['release_lag_dyas']"),
    (('indicator = "claimant_rate"\n', 'indicator = "claimant_count"\n'),
     "catalogue.toml: an indicator is defined twice: ['claimant_count']"),
])
def test_a_mistake_in_the_catalogue_names_the_indicator_and_field(tmp_path, edit, message):
    text = CATALOGUE.read_text(encoding="utf-8")
    assert edit[0] in text
    broken = tmp_path / "catalogue.toml"
    broken.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(CatalogueError, match="^" + re.escape(message)):
        load_indicators(broken)
