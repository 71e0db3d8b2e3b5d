"""What lmi prints while Dagster runs: Dagster's console logger, with the errors lmi explains itself shown
without their stack trace (used by the CLI and the demo snapshot build)."""

from __future__ import annotations

import logging

# Errors lmi explains in its own words at the end (Ctrl-C, out of memory): Dagster's console log shows them
# without their stack trace, which says nothing to a person (the Dagster UI keeps it, `make dev`).
MEMORY_ERRORS = {"MemoryError", "OutOfMemoryException"}


class _WithoutExplainedStacks(logging.Formatter):
    def __init__(self, inner: logging.Formatter | None):
        from lmi_pipeline.operations.runs import INTERRUPTED_ERRORS

        super().__init__()
        self.inner = inner or logging.Formatter()
        self.interrupted, self.explained = INTERRUPTED_ERRORS, INTERRUPTED_ERRORS | MEMORY_ERRORS

    def format(self, record: logging.LogRecord) -> str:
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        error = getattr(getattr(event, "event_specific_data", None), "error", None)
        chain = []
        while error is not None:
            chain.append(error)
            error = error.cause
        if chain and any(e.cls_name in self.explained for e in chain):
            record = logging.makeLogRecord(record.__dict__)
            last = chain[-1]
            message = (last.message.strip().splitlines() or [""])[0]
            if message.endswith(last.cls_name):  # no message of its own, only the class's path
                message = ""
            what = "interrupted" if last.cls_name in self.interrupted else last.cls_name
            record.msg = f"{str(record.msg).split(chr(10) * 2, 1)[0]} ({what}{': ' if message else ''}{message})"
        return self.inner.format(record)


def console_logger():
    """Dagster's console logger (same config), showing explained errors without a stack trace."""
    # Imported here: `lmi --help` and a refused lmi.toml answer without loading Dagster.
    import dagster as dg
    from dagster import colored_console_logger

    def make(init_context) -> logging.Logger:
        logger = colored_console_logger.logger_fn(init_context)
        for handler in logger.handlers:
            handler.setFormatter(_WithoutExplainedStacks(handler.formatter))
        return logger

    return dg.LoggerDefinition(make, config_schema=colored_console_logger.config_schema,
                               description=colored_console_logger.description)
