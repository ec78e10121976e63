"""`POST /fhir/Bundle`: an editor pushes a slot Bundle (the use case: sas_common.ingest.push)."""

from __future__ import annotations

from datetime import UTC, datetime
from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response

from ingest.answers import fhir_answers
from ingest.fhir_http import body_text, fhir_response
from sas_common.api import calling_editor, new_router, runtime
from sas_common.fhir.outcome import mapping_outcome
from sas_common.fhir.slot_mapping import map_slot_bundle
from sas_common.ingest.push import push as apply_push
from sas_common.observability import logger, metrics
from sas_common.routes import FHIR_BUNDLE_PUSH

router = new_router()
TAGS = ["fhir"]


@router.post(
    FHIR_BUNDLE_PUSH.resolver_path,
    summary=FHIR_BUNDLE_PUSH.summary,
    description=(
        "Body: a FHIR Bundle (`application/fhir+json` or `application/json`), the PS, CPTS or SOS graph of "
        "docs/interop.md. Replaces this editor's slots of the effecteurs it names over the span it covers "
        "(earliest start → latest end, within now → now + 48 h). Answers 200 with an OperationOutcome "
        "listing accepted and rejected entries (`Bundle.entry[i]`); a body that is not a Bundle: 400 "
        "OperationOutcome. A slot of an effecteur who did not declare this editor is rejected "
        "(`not_declared`) and never stored. A Bundle naming more than 100 doctors or associations: 422 "
        "OperationOutcome, nothing applied."
    ),
    tags=TAGS,
    responses=fhir_answers(
        FHIR_BUNDLE_PUSH,
        {200: "applied: one issue for the accepted entries, one per note, one per rejected entry"},
        {
            400: "not a FHIR resource, or not a usable Bundle",
            422: "the Bundle names more than 100 doctors or associations: nothing applied",
        },
    ),
)
def push() -> Response[str]:
    editor = calling_editor(router)
    result = map_slot_bundle(body_text(router), editor.kind)
    summary = apply_push(runtime(router), editor, result, datetime.now(UTC))
    counts = summary.as_dict()
    metrics.add_metric(name="PushedSlotsAccepted", unit="Count", value=counts["accepted"])
    metrics.add_metric(name="PushedSlotsRejected", unit="Count", value=counts["rejected"])
    logger.info("slots pushed", extra={"editor": editor.id, **counts})
    return fhir_response(HTTPStatus.OK, mapping_outcome(summary.outcome_result(), summary.notes()))
