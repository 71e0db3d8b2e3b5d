"""Helpers around a Dagster run result: the message a person needs when a run fails."""

from __future__ import annotations

import dagster as dg


def failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    """For each failed step, 'step: the innermost error message' (Dagster wraps user errors)."""
    out = []
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        error = event.step_failure_data.error
        while error.cause is not None:
            error = error.cause
        out.append(f"{event.step_key}: {error.cls_name}: {error.message.strip()}")
    return out
