"""What every upstream client resource shares: the source mode, the snapshot and the retry budget."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import dagster as dg
from pydantic import PrivateAttr

from lmi_pipeline.clients.transport import MAX_BODY_BYTES, Transport, install_secret_masking


class UpstreamResource(dg.ConfigurableResource):
    source_mode: str = "demo"  # demo | live | record
    snapshot_dir: str = "data/snapshot"
    record_origin: str = "recorded"  # "synthetic" when the demo generator records
    max_retries: int = 5
    backoff_seconds: float = 1.0
    read_timeout_seconds: float = 60.0
    deadline_seconds: float = 180.0
    max_requests_per_second: float = 0.0  # 0 = no pacing (local servers); Nomis sets a polite rate
    max_body_bytes: int = MAX_BODY_BYTES  # per response, decoded (256 MiB): more is refused, as a decompression bomb

    _transport: Optional[Transport] = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Before a step's first request: its keys are masked in every log line from here on."""
        install_secret_masking(self.secrets())

    def secrets(self) -> list[str]:
        """The keys this resource sends (none by default)."""
        return []

    def transport(self) -> Transport:
        if self._transport is None:
            self._transport = Transport(
                mode=self.source_mode,
                snapshot_dir=Path(self.snapshot_dir),
                read_timeout=self.read_timeout_seconds,
                deadline=self.deadline_seconds,
                max_retries=self.max_retries,
                backoff=self.backoff_seconds,
                record_origin=self.record_origin,
                min_interval=1 / self.max_requests_per_second if self.max_requests_per_second > 0 else 0.0,
                max_body_bytes=self.max_body_bytes,
            )
        return self._transport
