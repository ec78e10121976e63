"""What every capability's routes document of their answers: the error body, the statuses the entry point
answers before any handler (401/403 on protected routes, 413 on a body too large), and a helper that puts a
route's successes and errors together for powertools' `responses=`.

Powertools serialises every field of a returned model (no `exclude_none`): a field an answer leaves out when
it has no value is declared with `exclude_if=is_none` (and `SkipJsonSchema[None]`, so the schema does not
call it nullable) rather than sent as `null`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from sas_common.routes import Route

JSON = "application/json"


def is_none(value: object) -> bool:
    return value is None


# --- errors ------------------------------------------------------------------------------------------------


class FieldProblem(BaseModel):
    field: str = Field(description="the field, dotted (`periods.0.to`)")
    message: str


class ErrorAnswer(BaseModel):
    """A refusal, whatever its status (`sas_common.errors`): what went wrong, and where."""

    error: str = Field(
        description="`invalid_input`, `unauthenticated`, `forbidden`, `not_found`, `conflict`, "
        "`payload_too_large` or `rule_violation`"
    )
    message: str = Field(description="for a person: what is wrong")
    field: str | None = Field(None, description="the field or parameter concerned, when there is one")
    rule: str | SkipJsonSchema[None] = Field(None, description="the business rule broken, when one is")
    errors: list[FieldProblem] | SkipJsonSchema[None] = Field(
        None, description="a request that does not validate (422): every problem, `field` being the first"
    )


# What `admit` (sas_common.api) answers before any handler: on a protected route, and to a body too large.
ACCESS: dict[int, str] = {
    401: "no token, or an invalid or expired one",
    403: "the caller's role, or their relation to the target (ownership, delegation, structure), does not "
    "allow this action",
}
TOO_LARGE = "the body exceeds the territory's size limit"
# What a route with path parameters answers to one that names nothing or is not of its form (the resolver,
# `sas_common.api`); a route gives its own description where it says more.
PATH_PARAMETERS: dict[int, str] = {
    404: "a path parameter names nothing stored here (`field` names it)",
    422: "a path parameter is not of its form: `field` names it",
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# The usual meaning of an error status on these routes; a route gives its own where it says more.
ERRORS: dict[int, str] = {
    400: "the body is not valid JSON",
    404: "no such effecteur in the territory's directory (`field` names the unknown parameter)",
    409: "changed at the same time by another request: reload and try again",
    422: "a parameter, a field or a business rule is broken: `field` (and `rule`) name it",
}

DocumentedError = int | tuple[int, str]


def answers(
    route: Route,
    successes: Mapping[int, str],
    *errors: DocumentedError,
    model: type[BaseModel] | None = None,
) -> dict[int, OpenAPIResponse]:
    """What `route` documents: each success with its description (its body: `model`, else what the handler
    returns; a 204 has none), then each error status it can answer, with an `ErrorAnswer` body: 401 and 403
    on a protected route and 413 on a route taking a body (`admit`), then `errors` (a status, described as
    in `ERRORS`, or a status and its own description)."""
    documented = {status: _success(status, description, model) for status, description in successes.items()}
    for status, description in (*admitted(route), *(_described(error) for error in errors)):
        documented[status] = {"description": description, "content": {JSON: {"model": ErrorAnswer}}}
    return documented


def _success(status: int, description: str, model: type[BaseModel] | None) -> OpenAPIResponse:
    if status == 204:
        return {"description": description, "content": {}}
    if model is None:
        return {"description": description}  # powertools documents the handler's return type
    return {"description": description, "content": {JSON: {"model": model}}}


def admitted(route: Route, access: Mapping[int, str] = ACCESS) -> Iterable[tuple[int, str]]:
    """The statuses the entry point answers on this route before any handler, with their descriptions."""
    if route.protected:
        yield from access.items()
    if route.method in BODY_METHODS:
        yield 413, TOO_LARGE
    if route.parameters:
        yield from PATH_PARAMETERS.items()


def _described(error: DocumentedError) -> tuple[int, str]:
    return error if isinstance(error, tuple) else (error, ERRORS[error])
