"""What the FHIR routes answer, for their documentation: the OperationOutcome and the Appointment the code
sends (`sas_common.fhir.outcome`, `sas_common.orientations.appointments.as_fhir`), as small models, and the
responses each route documents. The handlers build their FHIR JSON themselves and answer a `Response`
(content type `application/fhir+json`): these models describe it, they do not produce it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from sas_common.answers import JSON, ErrorAnswer, admitted
from sas_common.api import FHIR_JSON
from sas_common.fhir.appointment import AppointmentStatus
from sas_common.fhir.outcome import IssueType, Severity
from sas_common.routes import Route

FHIR = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)


class OperationOutcomeIssue(BaseModel):
    model_config = FHIR

    severity: Severity
    code: IssueType
    diagnostics: str = Field(description="what happened, for a person")
    expression: list[str] | SkipJsonSchema[None] = Field(
        None,
        description="FHIRPath of the elements concerned (`Bundle.entry[3]`, `Appointment.participant`); "
        "absent when none",
    )


class OperationOutcome(BaseModel):
    """The platform's answer to an editor: what it did (`information`) or why it refused (`error`)."""

    model_config = FHIR

    resource_type: Literal["OperationOutcome"] = Field(alias="resourceType")
    issue: list[OperationOutcomeIssue] = Field(min_length=1)


class AppointmentIdentifier(BaseModel):
    model_config = FHIR

    system: str | SkipJsonSchema[None] = Field(None, description="absent when the editor sent none")
    value: str


class AppointmentMeta(BaseModel):
    model_config = FHIR

    version_id: str = Field(alias="versionId", description="counts the record's changes")
    last_updated: str = Field(alias="lastUpdated", description="instant of the last change (UTC)")


class AppointmentActor(BaseModel):
    model_config = FHIR

    identifier: AppointmentIdentifier = Field(description="the doctor's national id")


class AppointmentParticipant(BaseModel):
    model_config = FHIR

    actor: AppointmentActor
    status: Literal["accepted"]


class Appointment(BaseModel):
    """An appointment record as the platform holds it: nothing of the patient."""

    model_config = FHIR

    resource_type: Literal["Appointment"] = Field(alias="resourceType")
    id: str = Field(description="the id in the record's Location")
    meta: AppointmentMeta
    identifier: list[AppointmentIdentifier] = Field(description="the editor's business identifier")
    status: AppointmentStatus
    participant: list[AppointmentParticipant] = Field(description="the doctor")
    start: str | SkipJsonSchema[None] = Field(None, description="instant (UTC); absent when none was sent")
    end: str | SkipJsonSchema[None] = Field(None, description="instant (UTC); absent when none was sent")
    created: str | SkipJsonSchema[None] = Field(None, description="when the editor created it (UTC), if sent")


LOCATION: dict[str, OpenAPIResponseHeader] = {
    "Location": {"description": "the record: `/fhir/Appointment/<id>`", "schema": {"type": "string"}}
}

# Answered by `admit` (sas_common.api) and `calling_editor` before the handler, as an OperationOutcome.
ACCESS: dict[int, str] = {
    401: "no token (or no client certificate), or an invalid or expired one",
    403: "not an editor's token, or an editor unknown to this territory",
}


def fhir_answers(
    route: Route,
    successes: Mapping[int, str],
    errors: Mapping[int, str],
    *,
    model: type[BaseModel] = OperationOutcome,
    headers: dict[str, OpenAPIResponseHeader] | None = None,
) -> dict[int, OpenAPIResponse]:
    """What a FHIR route documents: each success (`model`, with `headers`), then each error status, every
    one an OperationOutcome: 401 and 403 (`admit`, `calling_editor`), 413 on a route taking a body, then
    `errors`."""
    documented: dict[int, OpenAPIResponse] = {}
    for status, description in successes.items():
        documented[status] = {"description": description, "content": {FHIR_JSON: {"model": model}}}
        if headers:
            documented[status]["headers"] = headers
    for status, description in (*admitted(route, ACCESS), *errors.items()):
        documented[status] = {"description": description, "content": {FHIR_JSON: {"model": OperationOutcome}}}
    # API Gateway's JWT authorizer refuses a missing or bad token itself, before the function: plain JSON.
    documented[401] = {
        "description": ACCESS[401],
        "content": {JSON: {"model": ErrorAnswer}, FHIR_JSON: {"model": OperationOutcome}},
    }
    return documented
