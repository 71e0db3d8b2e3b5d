"""The configured youth band (lmi.toml [analysis] youth_age_band) as the indicator and words the charts use."""

YOUTH_BANDS = {"16-24": "claimant_rate_16_24", "18-24": "claimant_rate_18_24"}
YOUTH_BAND_SQL = "SELECT any_value(youth_age_band) FROM areas_config"


def youth_indicator(band: str | None) -> str:
    """The claimant-rate indicator of the configured youth band (16-24 unless 18-24 is configured)."""
    return YOUTH_BANDS.get(band or "", YOUTH_BANDS["16-24"])


def youth_band(indicator: str) -> str:
    """"16-24" for claimant_rate_16_24: the band as people write it."""
    return next((b for b, i in YOUTH_BANDS.items() if i == indicator), "16-24")
