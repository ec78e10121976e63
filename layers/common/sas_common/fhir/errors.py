"""What can be wrong with a FHIR payload as a whole (one bad entry of a Bundle is a `Rejection`, not this)."""

from __future__ import annotations

from http import HTTPStatus

from sas_common.errors import DomainError


class FhirError(DomainError):
    """A payload the platform cannot use; `message` says why, for an OperationOutcome."""

    status = HTTPStatus.BAD_REQUEST
    code = "invalid_fhir"


class NotFhir(FhirError):
    """Not JSON, not a JSON object, or no `resourceType`: not a FHIR resource at all."""

    code = "not_fhir"


class InvalidBundle(FhirError):
    """A FHIR resource, but not a usable Bundle (another resource type, a malformed envelope)."""

    code = "invalid_bundle"


class RejectedBundle(FhirError):
    """A well-formed Bundle the platform will not take as a whole (422): too large for one request."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "rejected_bundle"


class InvalidAppointment(FhirError):
    """An Appointment that is not well-formed FHIR (400 in flow INT_R03)."""

    code = "invalid_appointment"


class RejectedAppointment(FhirError):
    """A well-formed Appointment that breaks a rule of flow INT_R03 (422); `field` names the element."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "rejected_appointment"
