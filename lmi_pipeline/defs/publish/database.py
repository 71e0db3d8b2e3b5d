from pathlib import Path

import dagster as dg

from lmi_pipeline.database.publication import PublishError, publish
from lmi_pipeline.database.storage import WarehouseResource
from lmi_pipeline.metadata import apply_comments
from lmi_pipeline.project import ProjectResource
from lmi_pipeline.publish.publication_history import history_message, history_problems

# The assets nothing else depends on: through them it depends on every asset, so it runs last and a failure
# anywhere in the run stops the publication (tests/test_analyses.py checks this against the asset graph).
LAST = ["lmi_report_pdf", "claimant_rate_chart", "obs_status_codes", "research_notes"]


@dg.asset(group_name="publish", kinds={"duckdb"}, deps=LAST, pool="duckdb_writer")
def published_database(context: dg.AssetExecutionContext, project: ProjectResource,
                       warehouse: WarehouseResource) -> dg.MaterializeResult:
    """data/lmi.duckdb for researchers, and the files under assets/, published together at the end, after
    every other asset of the run has succeeded (it depends on all of them).

    The working database, kept in DuckDB 1.4's storage format, is checkpointed and copied into a new file
    (readable by DuckDB 1.4 and later, read-only on disk),
    then the staged files and the database are moved into place with atomic renames, under a journal
    (publication.publish) so a run killed halfway is completed by the next one. Any earlier failure leaves
    the previous publication exactly as it was; open read-only connections keep their old view. Every
    table and described column carries its description from lmi_pipeline.metadata as a DuckDB comment.

    Refused here too, whatever the run selected (the blocking check publication_keeps_history runs only
    when claimant_count is in the run): an empty mart, and a build that lacks claimant months or areas the
    last publication has or lmi.toml asks for.
    """
    published = Path(project.published_db)
    areas = project.areas()
    with warehouse.get_connection() as conn:  # refuse to publish an empty mart
        n = conn.execute("SELECT count(*) FROM ward_indicators").fetchone()[0]
        label = conn.execute("SELECT string_agg(DISTINCT data_label, ', ' ORDER BY data_label) FROM provenance").fetchone()[0]
        problems, _ = history_problems(conn, published, list(areas.lad_codes), areas.start_month, project.source_mode)
        undescribed = apply_comments(conn)  # the copy keeps them: duckdb_columns().comment when published
    if undescribed:
        context.log.warning(f"described in lmi_pipeline.metadata but not held: {', '.join(undescribed)}")
    if n == 0:
        raise ValueError("published_database: ward_indicators is empty; nothing was published.")
    if problems:
        raise PublishError(history_message(problems, published))
    warehouse.ensure_in_place()  # still this run's lock and working database, just before anything moves
    moved = publish(Path(warehouse.database), published, Path(project.staging_dir), Path(project.assets_dir),
                    warehouse.memory_limit, warn=context.log.warning)
    context.log.info(f"published {published} and {len(moved)} file(s) under {project.assets_dir}/")
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(published.resolve())), "bytes": published.stat().st_size,
        "ward_indicator_rows": n, "files": dg.MetadataValue.json(moved), "data_label": label or "",
    })
