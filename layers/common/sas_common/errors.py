"""Domain errors: values the caller can act on, each mapped to one HTTP status here and nowhere else."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[HTTPStatus] = HTTPStatus.BAD_REQUEST
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.rule = rule

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.rule is not None:
            body["rule"] = self.rule
        return body


class InvalidInput(DomainError):
    status = HTTPStatus.BAD_REQUEST
    code = "invalid_input"


class Unauthenticated(DomainError):
    status = HTTPStatus.UNAUTHORIZED
    code = "unauthenticated"


class Forbidden(DomainError):
    status = HTTPStatus.FORBIDDEN
    code = "forbidden"


class NotFound(DomainError):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"


class Conflict(DomainError):
    status = HTTPStatus.CONFLICT
    code = "conflict"


class PayloadTooLarge(DomainError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    """A body of a content type the route does not read (JSON routes read `application/json` only)."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE
    code = "unsupported_media_type"


class RuleViolation(DomainError):
    """A well-formed request that breaks a business rule; `rule` names it."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    code = "rule_violation"


class UpstreamUnavailable(DomainError):
    status = HTTPStatus.BAD_GATEWAY
    code = "upstream_unavailable"


class StaleWrite(Exception):
    """A conditional write found the item changed since it was read (or already there, for a create).

    Not a domain error: raised by a store, caught by the use case, which reads again or answers a
    `Conflict`."""
