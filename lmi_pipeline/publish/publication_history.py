"""What publishing a build would lose: the claimant months and areas the last publication holds, or lmi.toml
asks for, that the build lacks. Used by the blocking check `publication_keeps_history` and again by
`published_database` itself, whatever the run's selection, so a publication never silently shrinks the history."""

from pathlib import Path

# Claimant months and areas, in this build and in the last publication (attached read-only as `previous`):
# months, district-months (any ward of a configured district in a month) and ward-months, kept as TEMP tables
# and compared set-wise (nationally 1.5 M ward-months each side: held as Python sets they took 7 to 15 s). A
# ward-month counts as lost only where the build still has that district's month on the same ward boundaries,
# so a series Nomis moved onto new boundaries is no loss; every ward of a month is every_ward_every_month's job.
HISTORY_SQL = """
CREATE OR REPLACE TEMP TABLE {name} AS
SELECT DISTINCT w.lad_code, strftime(c.period, '%Y-%m') AS month, c.ward_vintage, c.area_code
FROM {db}.claimant_count c
JOIN (SELECT DISTINCT ward_code, lad_code FROM {db}.ward_lookup) w ON w.ward_code = c.area_code
WHERE c.area_level = 'ward' AND c.measure = 'count' AND c.age_band = '16+'
  AND w.lad_code IN (SELECT unnest($lads)) AND strftime(c.period, '%Y-%m') >= $start
"""
LOST_MONTHS_SQL = "SELECT DISTINCT month FROM history_previous EXCEPT SELECT DISTINCT month FROM history_build"
LOST_DISTRICT_MONTHS_SQL = """
SELECT DISTINCT lad_code, month FROM history_previous EXCEPT SELECT DISTINCT lad_code, month FROM history_build"""
LOST_WARD_MONTHS_SQL = """
SELECT DISTINCT p.lad_code, p.month, p.area_code FROM history_previous p
WHERE EXISTS (SELECT 1 FROM history_build n WHERE n.lad_code = p.lad_code AND n.month = p.month
                AND n.ward_vintage IS NOT DISTINCT FROM p.ward_vintage)
  AND NOT EXISTS (SELECT 1 FROM history_build n WHERE n.month = p.month AND n.area_code = p.area_code)"""
DISTRICT_MONTHS_SQL = "SELECT DISTINCT lad_code, month FROM history_build"


def _history(conn, db: str, name: str, lads: list[str], start: str) -> None:
    conn.execute(HISTORY_SQL.format(db=db, name=name), {"lads": lads, "start": start})


def _rows(conn, sql: str) -> set[tuple]:
    return set(conn.execute(sql).fetchall())


def _span(items) -> str:
    items = sorted(items)
    if not items:
        return "none"
    shown = ", ".join(items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")
    return f"{items[0]} to {items[-1]}: {shown}" if len(items) > 6 else shown


def history_problems(conn, published_db: Path | None, lad_codes: list[str], start_month: str,
                     source_mode: str) -> tuple[list[str], dict]:
    """What publishing this build (the working database on `conn`) would lose: months and areas the last
    publication of the same source family holds, or the configuration asks for (claimant months from
    `start_month` to the latest held, every configured district in each). Returns (problems, metadata)."""
    from lmi_pipeline.database.storage import open_read_only_problem, quote_literal
    from lmi_pipeline.periods import months as month_range

    tables = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                         "current_database()").fetchall()}
    if not {"claimant_count", "ward_lookup"} <= tables:
        return [f"the build has no {'claimant_count' if 'claimant_count' not in tables else 'ward_lookup'} table"], {}
    lads = sorted(lad_codes)
    _history(conn, "main", "history_build", lads, start_month)
    # Nothing to compare with, unless the last publication is of the same family (replaced below).
    conn.execute("CREATE OR REPLACE TEMP TABLE history_previous AS SELECT * FROM history_build LIMIT 0")
    problems, meta = [], {"previous_publication": "none"}
    if published_db is not None and Path(published_db).exists():
        problem = open_read_only_problem(Path(published_db))
        if problem:
            meta["previous_publication"] = f"unreadable ({problem}); compared with the configuration only"
        else:
            conn.execute(f"ATTACH {quote_literal(str(published_db))} AS previous (READ_ONLY)")
            try:
                had = {r[0] for r in conn.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                                  "'previous'").fetchall()}
                modes = ({r[0] for r in conn.execute("SELECT DISTINCT source_mode FROM previous.provenance").fetchall()}
                         if "provenance" in had else set())
                family = "demo" if source_mode == "demo" else "live"
                same = bool(modes) and {("demo" if m == "demo" else "live") for m in modes} == {family}
                if not {"claimant_count", "ward_lookup"} <= had:
                    meta["previous_publication"] = "holds no claimant_count; compared with the configuration only"
                elif not same:
                    meta["previous_publication"] = (f"of another source mode ({', '.join(sorted(modes)) or '?'}); "
                                                    "compared with the configuration only")
                else:
                    _history(conn, "previous", "history_previous", lads, start_month)
                    meta["previous_publication"] = str(published_db)
            finally:
                conn.execute("DETACH previous")
    try:
        new_months = {m for (m,) in _rows(conn, "SELECT DISTINCT month FROM history_build")}
        old_months = {m for (m,) in _rows(conn, "SELECT DISTINCT month FROM history_previous")}
        lost_months = {m for (m,) in _rows(conn, LOST_MONTHS_SQL)}
        lost_district_months = _rows(conn, LOST_DISTRICT_MONTHS_SQL)
        lost_ward_months = _rows(conn, LOST_WARD_MONTHS_SQL)
        new_district_months = _rows(conn, DISTRICT_MONTHS_SQL)
    finally:
        conn.execute("DROP TABLE IF EXISTS history_build; DROP TABLE IF EXISTS history_previous")
    latest = max(new_months | old_months, default=None)
    if lost_months:
        problems.append(f"{len(lost_months)} claimant month(s) the last publication has ({_span(lost_months)})")
    other = {(lad, m) for lad, m in lost_district_months if m not in lost_months}
    if other:
        problems.append(f"{len(other)} district-month(s) it has ({_span(f'{lad} {m}' for lad, m in other)})")
    if lost_ward_months:
        problems.append(f"{len(lost_ward_months)} ward-month(s) it has "
                        f"({_span(f'{ward} {m}' for _, m, ward in lost_ward_months)})")
    if latest is not None:
        wanted = month_range(start_month, latest)
        missing = [m for m in wanted if m not in new_months]
        if missing:
            problems.append(f"{len(missing)} of the {len(wanted)} months lmi.toml asks for ({start_month} to {latest}: "
                            f"missing {_span(missing)})")
        absent = {(lad, m) for lad in lads for m in wanted if m in new_months and (lad, m) not in new_district_months}
        absent_lads = sorted({lad for lad, _ in absent})
        if absent_lads:
            problems.append("configured district(s) without claimant figures for some months: "
                            + "; ".join(f"{lad} in {sum(1 for x, _ in absent if x == lad)} month(s)" for lad in absent_lads))
    elif lads:
        problems.append("no claimant month at all for the configured districts")
    meta.update({"months_held": len(new_months), "months_previous": len(old_months),
                 "lost_months": len(lost_months), "lost_district_months": len(lost_district_months),
                 "lost_ward_months": len(lost_ward_months)})
    return problems, meta


def history_message(problems: list[str], published_db: Path | None) -> str:
    return ("publishing this build would shrink the history: it lacks " + "; and ".join(problems)
            + f". Nothing was published; {published_db or 'the last publication'} is unchanged. This usually means the "
            "working database lost data (data/work deleted or replaced) and a partial refresh ran: run `lmi refresh` "
            "again (its planning now rebuilds what the working database lacks) or `lmi run`.")
