"""assets/research/<ward code>.md: the research focus of each focus ward, for the young researchers."""

import dagster as dg

from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.publish.research_focus import render_markdown, research_focus

RESEARCH_DIR = "research"


@dg.asset(group_name="publish", kinds={"markdown"}, deps=["lmi_need_gaps", "lmi_gaps", "ward_lookup",
                                                          "ward_boundary_sets"])
def research_notes(context: dg.AssetExecutionContext, project: ProjectResource,
                   warehouse: WarehouseResource) -> dg.MaterializeResult:
    """assets/research/<ward code>.md, one per focus ward: what the data say (figures with their ranges and
    caveats), what is known only for larger areas, and what no published LMI answers for the ward, the candidate
    lines of enquiry for primary research, each with its nearest proxy and its limits; and what could be added
    to the pipeline. Generated from the LMI needs catalogue and the gap statuses (lmi_need_gaps), never by hand.
    """
    with warehouse.get_connection() as conn:
        wards = research_focus(conn)
    if not wards:
        raise ValueError("research_notes: no focus wards in lmi_need_gaps; name focus_wards in lmi.toml.")
    project.staging_area("research_notes")
    metadata: dict = {"wards": len(wards)}
    for w in wards:
        relative = f"{RESEARCH_DIR}/{w.ward_code}.md"
        project.staged("research_notes", relative).write_text(render_markdown(w), encoding="utf-8")
        metadata[relative] = dg.MetadataValue.path(str(project.published(relative).resolve()))
        metadata[f"{w.ward_code} lines of enquiry"] = len(w.enquiries)
    return dg.MaterializeResult(metadata=metadata)
