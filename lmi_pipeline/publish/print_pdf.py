"""The report printed to an A4 PDF by headless Chromium, for a board meeting.

Chromium is optional: `make test` installs Debian's package (`make chromium`), Playwright drives it as it is (no
browser download). Without it, or without Playwright, there is no PDF and the reason says what to install.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import plotly.offline

# Chromium as root needs --no-sandbox; the rest keep it off the network (the page needs none).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync"]
# A4 less the @page margins of report.css (11 mm each side), in CSS pixels at 96 per inch: the width the charts are
# redrawn at before printing, so none is cut at the right edge.
A4_CONTENT_PX = round((210 - 22) / 25.4 * 96)
# Every Plotly chart has drawn (maps and heatmaps included) before the page is printed.
CHARTS_DRAWN = ("[...document.querySelectorAll('.plotly-graph-div')]"
                ".every(d => d.querySelector('svg.main-svg'))")


@dataclass(frozen=True)
class PrintedReport:
    path: Path
    pages: int


def find_chromium() -> str | None:
    """The chromium executable, or None (then no PDF is made)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def why_no_pdf() -> str | None:
    """Why a PDF cannot be made here, or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401 (only whether it imports)
    except ImportError:
        return "Playwright is not installed (pip install -e '.[dev]')"
    if find_chromium() is None:
        return "Chromium is not installed (`make chromium`, or apt-get install chromium)"
    return None


def pdf_pages(pdf: bytes) -> int:
    """The page count of a PDF as Chromium writes it (one /Type /Page object per page)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def print_report(html: str, out: Path, timeout_ms: int = 60_000) -> PrintedReport:
    """Print the report page (its HTML, which loads ../charts/plotly.min.js) to `out` as A4."""
    import playwright.sync_api as playwright

    executable = find_chromium()
    if executable is None:
        raise RuntimeError(why_no_pdf())
    with tempfile.TemporaryDirectory(prefix="lmi-pdf-") as tmp:
        page_path = Path(tmp) / "report" / "index.html"
        page_path.parent.mkdir()
        page_path.write_text(html, encoding="utf-8")
        (Path(tmp) / "charts").mkdir()
        (Path(tmp) / "charts" / "plotly.min.js").write_text(plotly.offline.get_plotlyjs(), encoding="utf-8")
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": A4_CONTENT_PX, "height": 1100})
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
                page.emulate_media(media="print")
                page.goto(page_path.as_uri(), wait_until="load")
                page.wait_for_function(CHARTS_DRAWN, timeout=timeout_ms)
                page.evaluate("document.querySelectorAll('.js-plotly-plot').forEach(d => Plotly.Plots.resize(d))")
                page.wait_for_timeout(300)
                pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                               display_header_footer=True, header_template="<span></span>",
                               footer_template='<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                                               '<span class="title"></span> · page <span class="pageNumber"></span> of '
                                               '<span class="totalPages"></span></div>')
            finally:
                browser.close()
    out.write_bytes(pdf)
    return PrintedReport(out, pdf_pages(pdf))
