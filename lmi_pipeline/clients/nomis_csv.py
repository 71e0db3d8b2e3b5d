"""Parsing and validating Nomis `.data.csv` pages.

Every page is read with every column as text (peers broke when pages typed differently, nomisr #27);
typing happens later, in DuckDB. A page is rejected, with the dataset, areas and query named, when it is
HTML, JSON, empty, header-only, truncated, missing the columns we asked for, or has blank GSS codes,
non-numeric values, OBS_STATUS codes whose meaning we have not decided, an empty value whose status
does not say it is missing, or a RECORD_OFFSET / RECORD_COUNT that is not a whole number.
"""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lmi_pipeline.clients.transport import Response, UpstreamFormatError

# Nomis observation status codes we understand: code -> (meaning, the value is missing). An unknown code
# stops the run: its meaning must be decided (is it a value, an estimate, a suppression?) before its
# figures are published. Only a "missing" status may come with an empty OBS_VALUE (see _check_values).
OBS_STATUS = {
    "A": ("Normal value", False),
    "P": ("Provisional value", False),
    "E": ("Estimated value", False),
    "B": ("Break in series", False),
    "Q": ("These figures are missing", True),  # Nomis's own words, e.g. NM_162_1 measure 4, old APS NVQ variables
    "X": ("Value not available", True),
    "-": ("Value missing", True),
    "!": ("Estimate not available: sample size zero or disclosive", True),
    "*": ("Estimate unreliable: small sample", False),
    "~": ("Estimate is less than 500", True),
    "#": ("Sample size too small for a reliable estimate", True),
}

REQUIRED_COLUMNS = ("GEOGRAPHY", "GEOGRAPHY_CODE", "OBS_VALUE", "OBS_STATUS", "RECORD_OFFSET", "RECORD_COUNT")
NUMERIC = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"


def parse_page(response: Response, expected_columns: list[str], what: str) -> pa.Table:
    """Parse one CSV page into an all-text Arrow table, or raise UpstreamFormatError naming `what`."""
    body = response.body
    head = body[:512].lstrip().lower()
    ctype = response.content_type.lower()
    if not body.strip():
        raise UpstreamFormatError(f"{what}: Nomis returned an empty body. Nothing was loaded; retry later.")
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"<")) or "html" in ctype:
        raise UpstreamFormatError(
            f"{what}: Nomis returned an HTML/XML page instead of CSV (often a maintenance or error page). "
            f"It began: {_snippet(body)!r}. Nothing was loaded; retry later."
        )
    if head.startswith((b"{", b"[")) or "json" in ctype:
        raise UpstreamFormatError(f"{what}: Nomis returned JSON instead of CSV: {_json_message(body)!r}.")

    data = body[3:] if body.startswith(b"\xef\xbb\xbf") else body
    header_line = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    header = [h.strip().strip('"').upper() for h in header_line.split(",")]
    missing = [c for c in expected_columns if c not in header]
    if missing:
        raise UpstreamFormatError(
            f"{what}: the CSV lacks columns {missing} (got {header[:12]}...). Nomis may have renamed or dropped "
            "them; check the dataset's structure before updating the query."
        )
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise UpstreamFormatError(f"{what}: the CSV is malformed or truncated ({exc}). Nothing was loaded.") from None
    if table.num_rows == 0:
        raise UpstreamFormatError(
            f"{what}: Nomis returned a header-only CSV (no rows). Usually a dimension code or geography "
            "that this dataset does not have; check the query."
        )
    _check_values(table, what)
    return table


def _check_values(table: pa.Table, what: str) -> None:
    codes = table["GEOGRAPHY_CODE"]
    blank = pc.equal(pc.utf8_trim_whitespace(codes), "")
    if pc.any(blank).as_py():
        i = pc.index(blank, True).as_py()
        raise UpstreamFormatError(
            f"{what}: GEOGRAPHY_CODE is blank for Nomis geography {table['GEOGRAPHY'][i].as_py()} (row {i + 1} of "
            "the page). Areas are joined on their GSS codes, so these rows cannot be placed; nothing was loaded."
        )
    values = table["OBS_VALUE"]
    bad = pc.and_(pc.not_equal(values, ""), pc.invert(pc.match_substring_regex(values, NUMERIC)))
    if pc.any(bad).as_py():
        i = pc.index(bad, True).as_py()
        raise UpstreamFormatError(
            f"{what}: non-numeric OBS_VALUE {values[i].as_py()!r} for area {table['GEOGRAPHY_CODE'][i].as_py()} "
            f"(row {i + 1} of the page). Nothing was loaded."
        )
    statuses = set(pc.unique(table["OBS_STATUS"]).to_pylist()) - set(OBS_STATUS) - {""}
    if statuses:
        raise UpstreamFormatError(
            f"{what}: unknown OBS_STATUS code(s) {sorted(statuses)}. Decide what they mean and add them to "
            "lmi_pipeline.clients.nomis_csv.OBS_STATUS before publishing these figures."
        )
    _check_blank_values(table, what)
    for col in ("RECORD_OFFSET", "RECORD_COUNT"):
        # Paging is built on these: a negative, fractional or non-numeric one means the counts cannot be trusted.
        bad = pc.invert(pc.match_substring_regex(table[col], r"^[0-9]+$"))
        if pc.any(bad).as_py():
            i = pc.index(bad, True).as_py()
            raise UpstreamFormatError(
                f"{what}: {col} is {table[col][i].as_py()!r} on row {i + 1} of the page, not a whole number, so "
                "the rows cannot be counted against it. Nothing was loaded; try again later.")


def _check_blank_values(table: pa.Table, what: str) -> None:
    """An empty OBS_VALUE is a missing figure only when its OBS_STATUS says so (Nomis writes Q, "These figures
    are missing."). Empty with a normal status (A) is a cut or broken row, and would be published as a gap
    that Nomis never reported."""
    missing_codes = [code for code, (_, missing) in OBS_STATUS.items() if missing]
    blank = pc.equal(pc.utf8_trim_whitespace(table["OBS_VALUE"]), "")
    bad = pc.and_(blank, pc.invert(pc.is_in(table["OBS_STATUS"], pa.array(missing_codes))))
    if not pc.any(bad).as_py():
        return
    i = pc.index(bad, True).as_py()
    row = {c: table[c][i].as_py() for c in ("GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "DATE", "OBS_STATUS",
                                            "OBS_STATUS_NAME", "RECORD_OFFSET") if c in table.column_names}
    area = f"{row['GEOGRAPHY_CODE']} {row.get('GEOGRAPHY_NAME', '')}".strip()
    status = row["OBS_STATUS"] or "blank"
    meaning = OBS_STATUS.get(row["OBS_STATUS"], (row.get("OBS_STATUS_NAME") or "no status",))[0]
    date = f", DATE {row['DATE']}" if row.get("DATE") else ""
    raise UpstreamFormatError(
        f"{what}: OBS_VALUE is empty for area {area}{date} (row {i + 1} of the page, RECORD_OFFSET "
        f"{row['RECORD_OFFSET']}) but its OBS_STATUS is {status!r} ({meaning}), which does not mean missing. "
        f"A value may only be empty with OBS_STATUS {', '.join(missing_codes)}; this row looks cut or broken, so "
        "nothing was loaded. Run again; if it persists, report it to Nomis, or, if Nomis now uses this status "
        "for missing figures, mark it missing in lmi_pipeline.clients.nomis_csv.OBS_STATUS."
    )


def _snippet(body: bytes) -> str:
    return body[:160].decode("utf-8", "replace").replace("\n", " ").strip()


def _json_message(body: bytes) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return _snippet(body)
    if isinstance(doc, dict):
        for key in ("error", "message", "errors"):
            if key in doc:
                return str(doc[key])[:300]
    return _snippet(body)
