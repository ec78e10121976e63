"""Flow INT_R03: editors' appointment records.

- `POST /fhir/Appointment` → 201 + `Location: /fhir/Appointment/<id>`. The same create replayed (same
  editor, same identifier) writes nothing and answers 200 with the same Location (as FHIR's conditional
  create answers a match), so a retrying editor can tell a replay from a creation.
- `PUT /fhir/Appointment?identifier=<system>|<value>` → 200 + Location, or 201 when no record had that
  identifier (FHIR conditional update); the body's identifier must be the one in the query (else 400).
- `GET /fhir/Appointment/<id>` (what Location points to) → 200 with the record as an Appointment: the
  editor's identifier, status, times, the doctor; another editor's record, or none: 404.
- Malformed FHIR → 400, a rule of the flow broken → 422, both as OperationOutcome. The doctor must be in
  the platform's directory (else 422); that they declared this editor is not required (the record says
  what happened, whatever the declaration). Patient data is never stored.
- An SOS editor's record (FrAppointmentSASSOS) may name no doctor (any other editor's: 422). It is tied to
  the association whose slot it is when the platform can tell (its `Slot/<id>`, or the operator's booking);
  the answer says so, or warns that the record is kept for the editor alone.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from ingest.answers import LOCATION, Appointment, fhir_answers
from ingest.fhir_http import body_text, fhir_response
from sas_common.api import calling_editor, new_router, runtime
from sas_common.errors import InvalidInput, NotFound
from sas_common.fhir.appointment import IDENTIFIER_MAX, parse_appointment
from sas_common.fhir.outcome import IssueType, OutcomeIssue, Severity, operation_outcome
from sas_common.fhir.resources import MODELS, read_resource
from sas_common.observability import logger
from sas_common.orientations import appointments, rules
from sas_common.routes import FHIR_APPOINTMENT_CREATE, FHIR_APPOINTMENT_READ, FHIR_APPOINTMENT_UPDATE

router = new_router()
IdentifierQuery = Annotated[
    str,
    Query(
        max_length=2 * IDENTIFIER_MAX + 1,
        description="`<system>|<value>`: the editor's business identifier of the record (as in the body)",
    ),
]
TAGS = ["fhir"]
_ERRORS = "400: malformed FHIR; 422: a rule of flow INT_R03 (e.g. a doctor unknown to the directory)."
# What writing a record can answer besides its success.
WRITE_ERRORS = {
    400: "not a FHIR resource, or a malformed Appointment",
    409: "the record was changed at the same time: send it again",
    422: "a rule of flow INT_R03 is broken (e.g. a doctor unknown to the directory): `expression` names it",
}


def _answer(stored: appointments.Stored, message: str) -> Response[str]:
    issues = [OutcomeIssue(Severity.INFORMATION, IssueType.INFORMATIONAL, message)]
    if stored.owner is not None:
        issues.append(
            OutcomeIssue(
                Severity.INFORMATION, IssueType.INFORMATIONAL, f"tied to the SOS association {stored.owner}"
            )
        )
    elif stored.unattached:
        issues.append(
            OutcomeIssue(
                Severity.WARNING,
                IssueType.NOT_FOUND,
                "recorded for the editor only: no association's slot of this editor at this start, nor a "
                "booking of the operator on the platform, ties it to an SOS association",
                ("Appointment.slot",),
            )
        )
    outcome = operation_outcome(issues)
    status = HTTPStatus.CREATED if stored.created else HTTPStatus.OK
    return fhir_response(status, outcome, {"Location": stored.location})


@router.post(
    FHIR_APPOINTMENT_CREATE.resolver_path,
    summary=FHIR_APPOINTMENT_CREATE.summary,
    description="Body: an Appointment (docs/interop.md, INT_R03). 201 + Location; a replay: 200, same "
    "Location. " + _ERRORS,
    tags=TAGS,
    responses=fhir_answers(
        FHIR_APPOINTMENT_CREATE,
        {201: "the record created", 200: "a replay: the record exists, nothing written"},
        WRITE_ERRORS,
        headers=LOCATION,
    ),
)
def create() -> Response[str]:
    editor = calling_editor(router)
    record = parse_appointment(body_text(router), doctor_required=rules.doctor_required(editor.kind))
    stored = appointments.create(runtime(router), editor.id, record)
    logger.info(
        "appointment record",
        extra={"editor": editor.id, "record_created": stored.created, "status": stored.status},
    )
    return _answer(stored, "appointment record created" if stored.created else "appointment record exists")


@router.put(
    FHIR_APPOINTMENT_UPDATE.resolver_path,
    summary=FHIR_APPOINTMENT_UPDATE.summary,
    description="Query `identifier=<system>|<value>` (the editor's business identifier, as in the body). "
    "200 + Location; 201 when it creates the record. " + _ERRORS,
    tags=TAGS,
    responses=fhir_answers(
        FHIR_APPOINTMENT_UPDATE,
        {200: "the record updated (or unchanged)", 201: "no record had that identifier: created"},
        {
            **WRITE_ERRORS,
            400: "no `identifier=<system>|<value>` in the query, or not the body's; not a FHIR resource, "
            "or a malformed Appointment",
        },
        headers=LOCATION,
    ),
)
def update(identifier: IdentifierQuery = "") -> Response[str]:
    editor = calling_editor(router)
    system, separator, value = identifier.partition("|")
    if not separator or not system or not value:
        raise InvalidInput("the query must name the record: ?identifier=<system>|<value>", field="identifier")
    record = parse_appointment(body_text(router), doctor_required=rules.doctor_required(editor.kind))
    if (record.identifier.system, record.identifier.value) != (system, value):
        raise InvalidInput(
            "the Appointment's identifier is not the one in the query", field="Appointment.identifier"
        )
    stored = appointments.upsert(runtime(router), editor.id, record)
    logger.info(
        "appointment record",
        extra={
            "editor": editor.id,
            "record_created": stored.created,
            "changed": stored.changed,
            "status": stored.status,
        },
    )
    return _answer(stored, "appointment record updated" if stored.changed else "appointment record unchanged")


@router.get(
    FHIR_APPOINTMENT_READ.resolver_path,
    summary=FHIR_APPOINTMENT_READ.summary,
    description="The record a create's Location names, as an Appointment (`meta.versionId` counts its "
    "changes); 404 OperationOutcome for an unknown id or another editor's record.",
    tags=TAGS,
    responses=fhir_answers(
        FHIR_APPOINTMENT_READ,
        {200: "the record"},
        {
            400: "the id is not one a Location carries (32 hexadecimal digits)",
            404: "no record with this id among the calling editor's",
        },
        model=Appointment,
    ),
)
def read(appointment_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]) -> Response[str]:
    editor = calling_editor(router)
    item = appointments.load_by_id(runtime(router), editor.id, appointment_id)
    if item is None:
        raise NotFound(
            f"no appointment record {appointment_id} of editor {editor.id}", field="appointment_id"
        )
    resource = appointments.as_fhir(item)
    read_resource(resource, MODELS["Appointment"])  # strict in what we send: the model must accept it
    return fhir_response(HTTPStatus.OK, resource)
