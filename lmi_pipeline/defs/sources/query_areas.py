"""Which Nomis geographies a data query asks for: wards by `{district}TYPE{ward}`, then benchmark ids."""

from __future__ import annotations

import duckdb

QUERY_AREAS_SQL = """
WITH wanted AS (  -- districts we cover, and every benchmark: configured ones plus each ward's parents
    SELECT DISTINCT lad_code AS gss_code FROM ward_lookup
    UNION SELECT DISTINCT county_code FROM ward_lookup
    UNION SELECT DISTINCT region_code FROM ward_lookup
    UNION SELECT DISTINCT country_code FROM ward_lookup
    UNION SELECT unnest(benchmarks) FROM areas_config
)
SELECT g.level, g.gss_code, g.nomis_id, g.type_selector, g.nomis_name
FROM nomis_geographies g
WHERE g.role = $role
  AND (g.level = 'ward' OR g.gss_code IN (SELECT gss_code FROM wanted))
ORDER BY g.level, g.gss_code
"""


def query_areas(conn: duckdb.DuckDBPyConnection, role: str, dataset: str) -> tuple[list[str], set[str], dict[str, str]]:
    """(geography parameter parts, ward ids that must come back, id -> label for error messages)."""
    rows = conn.execute(QUERY_AREAS_SQL, {"role": role}).fetchall()
    parts, expected, labels = [], set(), {}
    ward_type = next((r[3] for r in rows if r[0] == "ward"), None)
    for level, gss, nomis_id, selector, name in rows:
        labels[nomis_id] = f"{gss} {name} ({level})"
        expected.add(nomis_id)
        if level == "lad" and ward_type:
            parts.append(f"{nomis_id}{ward_type}")  # all wards in the district
        if level != "ward":
            parts.append(nomis_id)
    return parts, expected, labels
