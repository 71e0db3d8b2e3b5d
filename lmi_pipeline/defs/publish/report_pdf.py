"""assets/report/lmi_report.pdf: the report on A4, when Chromium is present."""

import dagster as dg

from lmi_pipeline.defs.publish.report import REPORT
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.publish.print_pdf import print_report, why_no_pdf

REPORT_PDF = "report/lmi_report.pdf"


@dg.asset(group_name="publish", kinds={"pdf"}, deps=["lmi_report"])
def lmi_report_pdf(context: dg.AssetExecutionContext, project: ProjectResource) -> dg.MaterializeResult:
    """assets/report/lmi_report.pdf: the report printed by headless Chromium to A4 with its print stylesheet, for a
    board meeting (folded parts stay folded; the charts are redrawn to the page width). Made only where Chromium
    is installed (`make chromium`); otherwise the run says why and publishes everything else.
    """
    reason = why_no_pdf()
    if reason:
        context.log.warning(f"No PDF of the report: {reason}. The HTML report is published as usual.")
        return dg.MaterializeResult(metadata={"skipped": reason})
    html = project.staged("lmi_report", REPORT).read_text(encoding="utf-8")
    project.staging_area("lmi_report_pdf")
    printed = print_report(html, project.staged("lmi_report_pdf", REPORT_PDF))
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(project.published(REPORT_PDF).resolve())),
        "pages": printed.pages, "bytes": printed.path.stat().st_size,
    })
