"""OperationOutcome answers: what the platform tells an editor about its request."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from typing import Any

from fhir.resources.R4B.operationoutcome import OperationOutcome

from sas_common.errors import DomainError
from sas_common.fhir.model import MappingResult, RejectionCode


class Severity(StrEnum):
    FATAL = "fatal"
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"


class IssueType(StrEnum):
    """The subset of FHIR's issue-type codes the platform answers with."""

    INVALID = "invalid"
    STRUCTURE = "structure"
    REQUIRED = "required"
    VALUE = "value"
    INVARIANT = "invariant"
    SECURITY = "security"
    LOGIN = "login"
    FORBIDDEN = "forbidden"
    NOT_SUPPORTED = "not-supported"
    DUPLICATE = "duplicate"
    MULTIPLE_MATCHES = "multiple-matches"
    NOT_FOUND = "not-found"
    TOO_LONG = "too-long"
    BUSINESS_RULE = "business-rule"
    CONFLICT = "conflict"
    TRANSIENT = "transient"
    EXCEPTION = "exception"
    INFORMATIONAL = "informational"


@dataclass(frozen=True, slots=True)
class OutcomeIssue:
    severity: Severity
    code: IssueType
    diagnostics: str
    expression: tuple[str, ...] = ()  # FHIRPath of the elements concerned, e.g. `Bundle.entry[3]`


def operation_outcome(issues: Iterable[OutcomeIssue]) -> dict[str, Any]:
    """An OperationOutcome as FHIR JSON; with no issue, the conventional single `informational` one."""
    listed = [
        {
            "severity": issue.severity.value,
            "code": issue.code.value,
            "diagnostics": issue.diagnostics,
            **({"expression": list(issue.expression)} if issue.expression else {}),
        }
        for issue in issues
    ] or [{"severity": "information", "code": "informational", "diagnostics": "All OK"}]
    outcome = OperationOutcome.model_validate({"resourceType": "OperationOutcome", "issue": listed})
    answer: dict[str, Any] = outcome.model_dump(mode="json", exclude_none=True)
    return answer


_REJECTION_ISSUES: dict[RejectionCode, IssueType] = {
    RejectionCode.UNREADABLE_ENTRY: IssueType.STRUCTURE,
    RejectionCode.UNEXPECTED_RESOURCE_TYPE: IssueType.NOT_SUPPORTED,
    RejectionCode.INVALID_RESOURCE: IssueType.STRUCTURE,
    RejectionCode.MISSING_SCHEDULE: IssueType.REQUIRED,
    RejectionCode.BROKEN_REFERENCE: IssueType.NOT_FOUND,
    RejectionCode.NO_NATIONAL_ID: IssueType.REQUIRED,
    RejectionCode.AMBIGUOUS_PRACTITIONER: IssueType.MULTIPLE_MATCHES,
    RejectionCode.NO_LOCATION: IssueType.REQUIRED,
    RejectionCode.NO_ASSOCIATION: IssueType.REQUIRED,
    RejectionCode.NO_SLOT_ID: IssueType.REQUIRED,
    RejectionCode.DUPLICATE_SLOT: IssueType.DUPLICATE,
    RejectionCode.INVALID_PERIOD: IssueType.INVARIANT,
    RejectionCode.NOT_FREE: IssueType.BUSINESS_RULE,
    RejectionCode.NOT_DECLARED: IssueType.BUSINESS_RULE,
    RejectionCode.UNKNOWN_EFFECTEUR: IssueType.NOT_FOUND,
    RejectionCode.OUTSIDE_WINDOW: IssueType.BUSINESS_RULE,
}


def mapping_outcome(result: MappingResult, notes: Sequence[str] = ()) -> dict[str, Any]:
    """The answer to a pushed Bundle: the accepted entries in one issue, then one informational issue per
    note (what else the platform did), then each rejected entry in its own."""
    issues = [
        OutcomeIssue(
            Severity.INFORMATION,
            IssueType.INFORMATIONAL,
            f"{len(result.slots)} slot(s) accepted",
            tuple(f"Bundle.entry[{slot.entry_index}]" for slot in result.slots),
        )
    ]
    issues += [OutcomeIssue(Severity.INFORMATION, IssueType.INFORMATIONAL, note) for note in notes]
    issues += [
        OutcomeIssue(
            Severity.ERROR,
            _REJECTION_ISSUES[rejection.code],
            f"{rejection.code.value}: {rejection.reason}",
            (f"Bundle.entry[{rejection.index}]",),
        )
        for rejection in result.rejected
    ]
    return operation_outcome(issues)


_STATUS_ISSUES: dict[HTTPStatus, IssueType] = {
    HTTPStatus.BAD_REQUEST: IssueType.INVALID,
    HTTPStatus.UNAUTHORIZED: IssueType.LOGIN,  # no usable credentials: sign in (FHIR's `login`)
    HTTPStatus.FORBIDDEN: IssueType.FORBIDDEN,
    HTTPStatus.NOT_FOUND: IssueType.NOT_FOUND,
    HTTPStatus.CONFLICT: IssueType.CONFLICT,
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: IssueType.TOO_LONG,
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: IssueType.NOT_SUPPORTED,
    HTTPStatus.UNPROCESSABLE_ENTITY: IssueType.BUSINESS_RULE,
    HTTPStatus.BAD_GATEWAY: IssueType.TRANSIENT,
}


def error_outcome(error: DomainError) -> dict[str, Any]:
    """A domain error as an OperationOutcome, for the FHIR routes (same status, FHIR-shaped body)."""
    expression = (error.field,) if error.field else ()
    code = _STATUS_ISSUES.get(error.status, IssueType.EXCEPTION)
    return operation_outcome([OutcomeIssue(Severity.ERROR, code, error.message, expression)])
