"""`POST /fhir/Bundle`: an editor pushes a slot Bundle (the same graphs it answers to a poll).

The span replaced is the Bundle's: from the earliest start to the latest end of the slots it carries,
for each effecteur it names (one span for the whole Bundle), cut to the platform's window (now → now +
48 h, as a poll asks): a slot starting before now or 48 h from now or later is rejected
(`outside_window`), only free slots of the next 48 hours being aggregated. An effecteur not named keeps
their slots; a named one keeps nothing of this editor's in the span but what the Bundle now holds. A
Bundle without a usable slot in the window replaces nothing. Answers 200 with an OperationOutcome: the
accepted entries in one issue, each rejected entry in its own, by index and reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response

from ingest.fhir_http import body_text, calling_editor, fhir_response
from sas_common.api import new_router
from sas_common.fhir.errors import RejectedBundle
from sas_common.fhir.model import EditorSlot, Rejection, RejectionCode
from sas_common.fhir.outcome import mapping_outcome
from sas_common.fhir.slot_mapping import map_slot_bundle
from sas_common.ingest.apply import ApplySummary, apply_answer, named_in
from sas_common.ingest.poll import WINDOW
from sas_common.observability import logger, metrics
from sas_common.routes import FHIR_BUNDLE_PUSH

router = new_router()
TAGS = ["fhir"]
# Each owner named costs one Query and its writes: this bounds a push's reads and keeps it well inside
# the HTTP API's 29 s (a poll asks 25 doctors or 10 associations at a time).
MAX_OWNERS_PER_PUSH = 100


@router.post(
    FHIR_BUNDLE_PUSH.resolver_path,
    summary=FHIR_BUNDLE_PUSH.summary,
    description=(
        "Body: a FHIR Bundle (`application/fhir+json` or `application/json`), the PS, CPTS or SOS graph of "
        "interop.md. Replaces this editor's slots of the effecteurs it names over the span it covers "
        "(earliest start → latest end, within now → now + 48 h). Answers 200 with an OperationOutcome "
        "listing accepted and rejected entries (`Bundle.entry[i]`); a body that is not a Bundle: 400 "
        "OperationOutcome. A slot of an effecteur who did not declare this editor is rejected "
        "(`not_declared`) and never stored. A Bundle naming more than 100 doctors or associations: 422 "
        "OperationOutcome, nothing applied."
    ),
    tags=TAGS,
)
def push() -> Response[str]:
    editor = calling_editor(router, FHIR_BUNDLE_PUSH)
    result = map_slot_bundle(body_text(router), editor.kind)
    now = datetime.now(UTC)
    span = _span(result.slots, now)
    if span is not None:
        named = named_in(editor, result.slots)  # the doctors, or an SOS editor's associations
        if len(set(named)) > MAX_OWNERS_PER_PUSH:
            raise RejectedBundle(
                f"a push names at most {MAX_OWNERS_PER_PUSH} doctors or associations, this one "
                f"{len(set(named))}: split it (each doctor's slots in one Bundle)",
                field="Bundle.entry",
            )
        summary = apply_answer(editor, named, span[0], span[1], result)
    elif result.slots:
        outside = [
            Rejection(
                slot.entry_index,
                f"slot {slot.slot_id} is outside now → now + 48 h",
                RejectionCode.OUTSIDE_WINDOW,
            )
            for slot in result.slots
        ]
        summary = ApplySummary(rejected=[*result.rejected, *outside])
    else:
        summary = ApplySummary(rejected=list(result.rejected))
    counts = summary.as_dict()
    metrics.add_metric(name="PushedSlotsAccepted", unit="Count", value=counts["accepted"])
    metrics.add_metric(name="PushedSlotsRejected", unit="Count", value=counts["rejected"])
    logger.info("slots pushed", extra={"editor": editor.id, **counts})
    return fhir_response(HTTPStatus.OK, mapping_outcome(summary.outcome_result(), summary.notes()))


def _span(slots: Sequence[EditorSlot], now: datetime) -> tuple[datetime, datetime] | None:
    """The Bundle's span (earliest start → latest end) within the window now → now + 48 h; None if empty."""
    if not slots:
        return None
    start = max(min(slot.start for slot in slots), now)
    end = min(max(slot.end for slot in slots), now + WINDOW)
    return (start, end) if start < end else None
