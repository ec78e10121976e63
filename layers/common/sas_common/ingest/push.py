"""An editor's push (`POST /fhir/Bundle`): the slot Bundle it would answer to a poll, applied at once.

The span replaced is the Bundle's: from the earliest start to the latest end of the slots it carries, for
each effecteur it names (one span for the whole Bundle), cut to the platform's window (now → now + 48 h, as a
poll asks): a slot starting before now or 48 h from now or later is rejected (`outside_window`), only free
slots of the next 48 hours being aggregated. An effecteur not named keeps their slots; a named one keeps
nothing of this editor's in the span but what the Bundle now holds. A Bundle without a usable slot in the
window replaces nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sas_common.fhir.errors import RejectedBundle
from sas_common.fhir.model import EditorSlot, MappingResult, Rejection, RejectionCode
from sas_common.ingest.apply import ApplySummary, apply_answer, named_in
from sas_common.ingest.poll import WINDOW
from sas_common.territory import EditorConfig

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

# Each owner named costs one Query and its writes: this bounds a push's reads and keeps it well inside
# the HTTP API's 29 s (a poll asks 25 doctors or 10 associations at a time).
MAX_OWNERS_PER_PUSH = 100


def push(rt: Runtime, editor: EditorConfig, result: MappingResult, now: datetime) -> ApplySummary:
    """Apply a pushed Bundle (mapped) over its span; a Bundle naming more than `MAX_OWNERS_PER_PUSH`
    doctors or associations is refused whole (`RejectedBundle`)."""
    found = span(result.slots, now)
    if found is None:
        outside = [
            Rejection(
                slot.entry_index,
                f"slot {slot.slot_id} is outside now → now + 48 h",
                RejectionCode.OUTSIDE_WINDOW,
            )
            for slot in result.slots
        ]
        return ApplySummary(rejected=[*result.rejected, *outside])
    named = named_in(editor, result.slots)  # the doctors, or an SOS editor's associations
    if len(named) > MAX_OWNERS_PER_PUSH:
        raise RejectedBundle(
            f"a push names at most {MAX_OWNERS_PER_PUSH} doctors or associations, this one "
            f"{len(named)}: split it (each doctor's slots in one Bundle)",
            field="Bundle.entry",
        )
    return apply_answer(rt, editor, named, found[0], found[1], result)


def span(slots: Sequence[EditorSlot], now: datetime) -> tuple[datetime, datetime] | None:
    """The Bundle's span (earliest start → latest end) within the window now → now + 48 h; None if empty."""
    if not slots:
        return None
    start = max(min(slot.start for slot in slots), now)
    end = min(max(slot.end for slot in slots), now + WINDOW)
    return (start, end) if start < end else None
