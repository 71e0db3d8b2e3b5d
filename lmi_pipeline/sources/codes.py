"""Dimension codes found in an upstream codelist by label: codes are never assumed."""

from __future__ import annotations

import re

from lmi_pipeline.clients.transport import UpstreamError


def resolve_codes(codelist: dict[str, str], wanted: dict[str, re.Pattern], what: str) -> dict[str, str]:
    """{our name: upstream code} for every wanted label, or a clear error listing what upstream has."""
    found = {}
    for name, pattern in wanted.items():
        # Whitespace normalised as label_text() does in SQL: Nomis serves some labels with stray spaces.
        hits = [code for code, label in codelist.items() if pattern.search(" ".join(label.split()))]
        if not hits:
            raise UpstreamError(f"{what}: no code labelled like {name!r}; upstream has {sorted(codelist.values())}.")
        found[name] = hits[0]
    return found
