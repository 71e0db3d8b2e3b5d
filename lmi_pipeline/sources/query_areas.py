"""Which Nomis geographies a data query asks for: small areas by `{district}TYPE{n}`, then benchmark ids."""

from __future__ import annotations

import duckdb

from lmi_pipeline.clients.transport import UpstreamError

# What every Nomis source asset reads before it queries: the ids, what each dataset offers, and the areas.
GEOGRAPHY_DEPS = ["nomis_geographies", "nomis_dataset_coverage", "ward_lookup", "districts"]

QUERY_AREAS_SQL = """
WITH wanted AS (  -- the districts we cover, the benchmarks each really has (districts), and configured extras
    SELECT lad_code AS gss_code FROM districts
    UNION SELECT b.code FROM (SELECT unnest(benchmarks) AS b FROM districts)
    UNION SELECT unnest(benchmarks) FROM areas_config
)
SELECT g.level, g.gss_code, g.nomis_id, g.type_selector, g.nomis_name, g.lad_code
FROM nomis_geographies g
WHERE g.role = $role
  AND (g.level IN ('ward', 'lsoa') OR g.gss_code IN (SELECT gss_code FROM wanted))
ORDER BY g.level, g.gss_code
"""


def query_areas(conn: duckdb.DuckDBPyConnection, role: str, dataset: str) -> tuple[list[str], set[str], dict[str, str]]:
    """(geography parameter parts, ids that must come back, id -> label for error messages).

    A district's wards (or LSOAs) are asked for as `{district id}TYPE{n}`, once per type: a district can
    have wards in two boundary vintages when Nomis has moved the series (see nomis_geographies). A
    benchmark the dataset does not list (a combined authority some datasets lack) is simply not asked for.
    """
    rows = conn.execute(QUERY_AREAS_SQL, {"role": role}).fetchall()
    if not rows:
        problem = conn.execute("SELECT problem FROM nomis_dataset_coverage WHERE role = ?", [role]).fetchone()
        raise UpstreamError(f"Nomis {dataset}: its geographies could not be resolved this run"
                            + (f" ({problem[0]})" if problem and problem[0] else "") + ".")
    parts, expected, labels = [], set(), {}
    small_types: dict[str, list[str]] = {}  # district GSS code -> the small-area TYPEs it has
    for level, _, _, selector, _, lad_code in rows:
        if level in ("ward", "lsoa") and selector not in small_types.setdefault(lad_code, []):
            small_types[lad_code].append(selector)
    for level, gss, nomis_id, selector, name, _ in rows:
        labels[nomis_id] = f"{gss} {name} ({level})"
        expected.add(nomis_id)
        if level == "lad":
            parts += [f"{nomis_id}{t}" for t in sorted(small_types.get(gss, []))]  # all small areas in the district
        if level not in ("ward", "lsoa"):
            parts.append(nomis_id)
    return parts, expected, labels


def small_area_level(conn: duckdb.DuckDBPyConnection, role: str) -> str:
    """The smallest areas the dataset is fetched for (ward, lsoa, lad), as nomis_dataset_coverage says."""
    row = conn.execute("SELECT small_area_level FROM nomis_dataset_coverage WHERE role = ?", [role]).fetchone()
    return (row[0] if row else None) or "lad"
