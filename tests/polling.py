"""A whole poll run in the test's own process, batch after batch, for tests of what a poll does.

The deployed platform fans batches out (dispatcher → SQS → poll worker, tested in
tests/integration/test_ingest_dispatch.py); each batch there is `poll_batch`, as here, and adds the same
`BatchSummary.counters` to its stored run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from sas_common.ingest import breaker
from sas_common.ingest.poll import BatchSummary, batch_size, batches, poll_batch
from sas_common.runtime import Runtime
from sas_common.territory import EditorConfig


@dataclass
class Run:
    editor_id: str
    batches: list[BatchSummary] = field(default_factory=list)

    @property
    def failed_batches(self) -> int:
        return sum(batch.failed for batch in self.batches)

    @property
    def breaker_state(self) -> str:
        return self.batches[-1].breaker_state if self.batches else breaker.BreakerStatus.CLOSED.value

    def as_dict(self) -> dict[str, Any]:
        totals = Counter(dict.fromkeys(BatchSummary(self.editor_id, 0).counters(), 0))
        for batch in self.batches:
            totals.update(batch.counters())
        return {
            "editor_id": self.editor_id,
            **totals,
            "breaker_state": self.breaker_state,
            "batches": [batch.as_dict() for batch in self.batches],
        }


def poll_editor(
    rt: Runtime, editor: EditorConfig, now: datetime, *, transport: httpx.BaseTransport | None = None
) -> Run:
    """Every batch of the editor's due effecteurs (or associations), one after the other."""
    run = Run(editor.id)
    for batch in batches(rt.participations.owners_showing(editor.id), batch_size(editor)):
        run.batches.append(poll_batch(rt, editor, batch, now, transport=transport))
    return run
