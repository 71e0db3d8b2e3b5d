"""Screenshots of the published report for docs/report.md, and the figures the docs quote about it.

    .venv/bin/python scripts/report_screenshots.py [--assets assets] [--out docs/images]

Run after `make run` (demo) with Chromium installed (`make chromium`). Writes the report's first two screens at
1366 x 900 (report_screen_1.png, report_screen_2.png), the district comparison page's first screen
(districts_screen_1.png), Hastings' claimant-rate map (map_hastings.png) and, where a county map is published,
the map alone (county_map.png); prints the report's
height and the PDF's page count.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import playwright.sync_api as playwright

from lmi_pipeline.publish.print_pdf import CHROMIUM_ARGS, find_chromium, pdf_pages

WIDTH, SCREEN = 1366, 900
DRAWN = "[...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('svg.main-svg'))"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=Path, default=Path("assets"))
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    report, districts = args.assets / "report" / "index.html", args.assets / "report" / "districts.html"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": SCREEN})
            page.goto(report.resolve().as_uri(), wait_until="load")
            page.wait_for_function(DRAWN, timeout=60_000)
            height = page.evaluate("document.documentElement.scrollHeight")
            for n in (1, 2):
                page.evaluate(f"window.scrollTo(0, {(n - 1) * SCREEN})")
                page.wait_for_timeout(200)
                page.screenshot(path=str(args.out / f"report_screen_{n}.png"))
            county = page.locator("#at-a-glance .chart .plotly-graph-div")
            if county.count():
                county.first.screenshot(path=str(args.out / "county_map.png"))
            page.goto((args.assets / "charts" / "map_claimant_rate_E07000062.html").resolve().as_uri(), wait_until="load")
            page.wait_for_function(DRAWN, timeout=60_000)
            page.screenshot(path=str(args.out / "map_hastings.png"), full_page=True)
            page.goto(districts.resolve().as_uri(), wait_until="load")
            page.wait_for_function(DRAWN, timeout=60_000)
            page.screenshot(path=str(args.out / "districts_screen_1.png"))
        finally:
            browser.close()
    pdf = args.assets / "report" / "lmi_report.pdf"
    print(f"report height at {WIDTH} px: {height} px ({height / SCREEN:.1f} screens of {SCREEN} px)")
    print(f"PDF: {pdf_pages(pdf.read_bytes())} A4 pages" if pdf.exists() else "PDF: not published (no Chromium)")
    print(f"screenshots in {args.out}/")


if __name__ == "__main__":
    main()
