"""Building a table from its SQL file: the one path from the raw, all-text tables to the typed ones, shared
by the geography and warehouse tables.

Area level and ward vintage come from each raw row itself (the GSS code's entity prefix, the year in the
Nomis geography type's name), so a row keeps its meaning whatever Nomis offers later. Upstream labels are
named in SQL by the same patterns the source asset picked the codes with (`label_table`), so each pattern
is written once. The macros are TEMP and the tables registered, not created: none reaches the published
database.
"""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa

from lmi_pipeline.clients.nomis_csv import OBS_STATUS
from lmi_pipeline.clients.transport import UpstreamFormatError
from lmi_pipeline.database.sql import load_sql
from lmi_pipeline.database.storage import quote_ident
from lmi_pipeline.geography.reference import COUNTY_CODES_SQL

MACROS = r"""
CREATE OR REPLACE TEMP MACRO level_of_code(code) AS CASE
    WHEN regexp_matches(code, '^[EW]01')                 THEN 'lsoa'
    WHEN regexp_matches(code, '^[EW]05')                 THEN 'ward'
    WHEN regexp_matches(code, '^(E06|E07|E08|E09|W06)')  THEN 'lad'
    WHEN regexp_matches(code, '^(E10|E11)')              THEN 'county'
    WHEN regexp_matches(code, '^E47')                    THEN 'combined_authority'
    WHEN regexp_matches(code, '^E13')                    THEN 'london_part'
    WHEN regexp_matches(code, '^E12')                    THEN 'region'
    WHEN regexp_matches(code, '^(E92|W92|K02|K03|K04)')  THEN 'country'
END;
-- Labels as matched: Nomis serves some with stray spaces ("Unemployment rate - aged 16-64 ", "in last  4 wks").
CREATE OR REPLACE TEMP MACRO label_text(label) AS regexp_replace(trim(label), '\s+', ' ', 'g');
-- Our names for a group's labels, each distinct label matched once: a pattern read from a column is compiled
-- for every row it meets, so joining `labels` row by row cost a compile per row and pattern (BRES: 14 s for
-- 95,000 rows at county scale). Use: LEFT JOIN label_names('grp', (SELECT list(DISTINCT COL) FROM raw)) AS x
-- ON x.label = r.COL.
CREATE OR REPLACE TEMP MACRO label_names(grp_name, found) AS TABLE
    SELECT u.label, a.name
    FROM (SELECT unnest(found) AS label) AS u
    JOIN labels AS a ON a.grp = grp_name AND regexp_matches(label_text(u.label), a.pattern);
CREATE OR REPLACE TEMP MACRO vintage_of_type(type_name) AS
    TRY_CAST(nullif(regexp_extract(type_name, '((19|20)[0-9]{2})', 1), '') AS INTEGER);
"""

# The Nomis observation statuses we understand, registered as `nomis_status` for every build and published
# as obs_status_codes (so researchers can read an obs_status), both from the one OBS_STATUS codelist.
STATUS_TABLE = pa.table({
    "code": list(OBS_STATUS),
    "label": [v[0] for v in OBS_STATUS.values()],
    "is_suppressed": [v[1] for v in OBS_STATUS.values()],
})


def label_table(groups: dict[str, dict[str, re.Pattern]]) -> pa.Table:
    """(group, name, pattern) rows: upstream labels are mapped to our names in SQL with the same
    patterns the source asset used to pick the codes (RE2 syntax; case-insensitive)."""
    rows = [(g, name, ("(?i)" if p.flags & re.I else "") + p.pattern)
            for g, wanted in groups.items() for name, p in wanted.items()]
    return pa.table({"grp": [r[0] for r in rows], "name": [r[1] for r in rows], "pattern": [r[2] for r in rows]})


def build(conn: duckdb.DuckDBPyConnection, module_file: str, table: str, key: list[str], what: str,
          labels: pa.Table | None = None, unrecognised: str | None = None, drop_repeats: bool = False) -> int:
    """Run `{table}.sql` (with the macros, `nomis_status` and `labels` available); refuse conflicting rows
    for one key, and rows whose label matched none of ours (`unrecognised`: the column that is NULL then).

    `drop_repeats`: rows repeated exactly (an area upstream served twice, e.g. a district asked for in two
    geography lists) are kept once. Only when the key check finds a key twice is the table made DISTINCT,
    so the common case pays for one key check, not a DISTINCT over every column (nationally, 10 M claimant
    rows: 10 s against 4 s); the rows are the same either way, since a table whose keys are unique has no
    repeated row. A key still held twice after that is a conflict, refused as before."""
    conn.execute(MACROS)
    conn.execute(COUNTY_CODES_SQL)
    conn.register("nomis_status", STATUS_TABLE)
    if labels is not None:
        conn.register("labels", labels)
    conn.execute(load_sql(module_file, table))
    name = quote_ident(table)
    cols = ", ".join(quote_ident(k) for k in key)
    dupes_sql = f"SELECT {cols}, count(*) FROM {name} GROUP BY ALL HAVING count(*) > 1 LIMIT 5"
    dupes = conn.execute(dupes_sql).fetchall()
    if dupes and drop_repeats:
        conn.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT DISTINCT * FROM {name}")
        dupes = conn.execute(dupes_sql).fetchall()
    if dupes:
        raise UpstreamFormatError(f"{what}: {len(dupes)}+ keys have conflicting rows in {table}, e.g. {dupes[0][:-1]}. "
                                  "Upstream served one area twice; nothing was published.")
    if unrecognised:
        bad = conn.execute(f"SELECT count(*) FROM {name} WHERE {quote_ident(unrecognised)} IS NULL").fetchall()[0][0]
        if bad:
            raise UpstreamFormatError(f"{what}: {bad} rows in {table} have a label we do not recognise "
                                      f"({unrecognised}); upstream may have renamed a category.")
    return conn.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
