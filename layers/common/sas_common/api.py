"""The HTTP side every capability shares: resolver construction, authentication, errors, entry point.

A capability declares its routes on a powertools `Router` against the constants of `sas_common.routes`
and calls `build_resolver(router)`; everything cross-cutting happens here, once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from sas_common.auth import Principal, Target, authorize, principal_from_claims, require_role
from sas_common.bodies import check_body
from sas_common.effecteurs.model import Card
from sas_common.effecteurs.service import card_for
from sas_common.errors import DomainError, Forbidden, InvalidInput, NotFound, PayloadTooLarge
from sas_common.identifiers import is_national_id
from sas_common.observability import logger, metrics, tracer
from sas_common.routes import ROUTES_BY_KEY, Owner, Route
from sas_common.runtime import Runtime
from sas_common.territory import EditorConfig

PRINCIPAL = "principal"
ROUTE = "route"
RUNTIME = "runtime"
TARGET = "target"

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def new_router() -> Router:
    """A capability's router (powertools' `Router.__init__` is unannotated, hence the one ignore)."""
    return Router()  # type: ignore[no-untyped-call]


def json_error(error: DomainError) -> Response[Any]:
    return Response(status_code=error.status, content_type="application/json", body=error.body())


# FHIR routes (the editors' flows) answer their errors as an OperationOutcome, not the platform's JSON.
FHIR_PATH_PREFIX = "/fhir/"
FHIR_JSON = "application/fhir+json"


def fhir_error(error: DomainError) -> Response[Any]:
    from sas_common.fhir.outcome import error_outcome  # FHIR models load on FHIR routes only

    return Response(status_code=error.status, content_type=FHIR_JSON, body=json.dumps(error_outcome(error)))


def _is_fhir(route_key: str) -> bool:
    return route_key.partition(" ")[2].startswith(FHIR_PATH_PREFIX)


def _on_fhir_route(app: APIGatewayHttpResolver) -> bool:
    return _is_fhir(app.current_event.route_key or "")


# Where powertools says a value came from; the field name alone is what the caller needs.
_LOCATIONS = frozenset({"body", "path", "query", "header", "cookie"})


def _field_name(location: Sequence[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts)


def _validation_error(exc: RequestValidationError) -> Response[Any]:
    """Name the first problem: its field and what is wrong. Malformed JSON is a 400, a bad field a 422."""
    first = exc.errors()[0]
    field = _field_name(first.get("loc", ())) or None
    if first.get("type") == "json_invalid":
        reason = first.get("ctx", {}).get("error", "invalid JSON")
        return json_error(InvalidInput(f"the body is not valid JSON: {reason}"))
    message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
    if first.get("type") == "string_type" and tuple(first.get("loc", ()))[:1] == ("query",):
        message = f"{field}: given several times, it takes one value"  # a repeat is a list of values
    return Response(
        status_code=HTTPStatus.UNPROCESSABLE_ENTITY,
        content_type="application/json",
        body={
            "error": "invalid_input",
            "message": message,
            "field": field,
            "errors": [
                {"field": _field_name(e.get("loc", ())), "message": e.get("msg")} for e in exc.errors()
            ],
        },
    )


def _unrouted(event: Mapping[str, Any]) -> Response[Any]:
    """A request API Gateway routed that the resolver does not match: a path parameter with a character
    powertools' routes refuse (no id has one) — it names nothing, 404 naming it; else no such route."""
    key = str(event.get("routeKey", ""))
    parameters: Mapping[str, str] = event.get("pathParameters") or {}
    error = NotFound(f"no route {key}")
    if key in ROUTES_BY_KEY and parameters:
        name, value = next(iter(parameters.items()))
        error = NotFound(f"{name}: {value[:40]!r} names nothing here", field=name)
    return fhir_error(error) if _is_fhir(key) else json_error(error)


def admit(
    event: Mapping[str, Any], routes: Mapping[str, Route], max_body_bytes: int
) -> tuple[Route, Principal | None]:
    """What every request goes through before its handler, and before its body or parameters are read: the
    route (404), the body size (413), and on a protected route the token's principal (401) and its role
    (403). A caller without the right token or role never gets a validation report on a body it may not
    send."""
    route_key = str(event.get("routeKey") or event.get("requestContext", {}).get("routeKey") or "")
    route = routes.get(route_key)
    if route is None:
        raise NotFound(f"no route {route_key}")
    body = event.get("body") or ""
    if len(body.encode() if isinstance(body, str) else body) > max_body_bytes:
        raise PayloadTooLarge(f"the body exceeds {max_body_bytes} bytes")
    if not route.protected:
        return route, None
    claims = event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims")
    principal = principal_from_claims(claims)
    require_role(principal, route.action_required)
    return route, principal


def resolve_target(
    rt: Runtime, route: Route, caller: Principal | None, event: Mapping[str, Any]
) -> Card | EditorConfig | None:
    """The data the route's path names (`Route.owner`), loaded and authorized before the request is
    validated: unknown 404, then not the caller's 403 (the national directory is public: existence is no
    secret). A malformed national id is left to the resolver's 422."""
    if caller is None or route.owner is None:
        return None
    path = event.get("pathParameters") or {}
    if route.owner is Owner.EFFECTEUR:
        national_id = str(path.get("national_id", ""))
        return (
            card_for(rt, national_id, caller, route.action_required) if is_national_id(national_id) else None
        )
    if route.owner is Owner.STRUCTURE:
        structures = frozenset({str(path.get("structure_id", ""))})
        authorize(caller, route.action_required, Target(structure_ids=structures))
        return None
    if route.owner is Owner.REGULATOR:  # a regulator's own data: the path's id is the caller's subject
        authorize(caller, route.action_required, Target(national_id=str(path.get("regulator_id", ""))))
        return None
    authorize(caller, route.action_required, Target(editor_id=caller.editor_id))
    editor = rt.territory.editor(caller.editor_id or "")
    if editor is None:
        raise Forbidden(f"editor {caller.editor_id!r} is not an editor of this territory")
    return editor


def _header(event: Mapping[str, Any], name: str) -> str | None:
    headers = event.get("headers") or {}
    return next((str(value) for key, value in headers.items() if key.lower() == name), None)


def _base64(event: Mapping[str, Any]) -> bool:
    return bool(event.get("isBase64Encoded"))


def _error_result(error: DomainError, route_key: str) -> dict[str, Any]:
    """A refusal answered without the resolver, in the same body the resolver would give."""
    response = fhir_error(error) if _is_fhir(route_key) else json_error(error)
    body = response.body if isinstance(response.body, str) else json.dumps(response.body)
    return {
        "statusCode": response.status_code,
        "headers": {"Content-Type": response.headers.get("Content-Type", "application/json")},
        "body": body,
        "isBase64Encoded": False,
    }


def build_resolver(*routers: Router) -> APIGatewayHttpResolver:
    """A resolver for the routers' handlers, with the platform's error mapping."""
    app = APIGatewayHttpResolver(enable_validation=True)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(DomainError)  # type: ignore[untyped-decorator]
    def _domain_error(exc: DomainError) -> Response[Any]:
        logger.info("request refused", extra={"error": exc.code, "reason": exc.message})
        return fhir_error(exc) if _on_fhir_route(app) else json_error(exc)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(exc: RequestValidationError) -> Response[Any]:
        if _on_fhir_route(app):
            first = exc.errors()[0]
            return fhir_error(InvalidInput(f"{_field_name(first.get('loc', ()))}: {first.get('msg')}"))
        return _validation_error(exc)

    @app.not_found
    def _not_found(_exc: Exception) -> Response[Any]:
        return _unrouted(app.current_event.raw_event)

    return app


def principal(router: Router | APIGatewayHttpResolver) -> Principal:
    found = router.context.get(PRINCIPAL)
    if not isinstance(found, Principal):
        raise RuntimeError("principal read on a public route")
    return found


def current_route(router: Router | APIGatewayHttpResolver) -> Route:
    route = router.context[ROUTE]
    assert isinstance(route, Route)
    return route


def target_card(router: Router | APIGatewayHttpResolver) -> Card:
    """The card of the effecteur the route's path names, loaded and authorized by the entry point."""
    found = router.context.get(TARGET)
    if not isinstance(found, Card):
        raise RuntimeError("target card read on a route that names no effecteur")
    return found


def calling_editor(router: Router | APIGatewayHttpResolver) -> EditorConfig:
    """The territory's editor the token speaks for, checked by the entry point."""
    found = router.context.get(TARGET)
    if not isinstance(found, EditorConfig):
        raise RuntimeError("calling editor read on a route that is not an editor's")
    return found


def runtime(router: Router | APIGatewayHttpResolver) -> Runtime:
    """The function's runtime (settings, stores), as the entry point put it in the request's context."""
    found = router.context.get(RUNTIME)
    if not isinstance(found, Runtime):
        raise RuntimeError("runtime read outside a request")
    return found


def lambda_entry(
    app: APIGatewayHttpResolver, runtime: Runtime, routes: Mapping[str, Route] = ROUTES_BY_KEY
) -> LambdaHandler:
    """The Lambda entry point of an HTTP capability: correlation id, tracing, metrics; then `admit` (route,
    size, token, role), `resolve_target` (whose data, ownership), `check_body` (content type, shape) — each
    refusal a 4xx before anything parses the request — and the resolver, with the route, the principal, the
    runtime and the target in its context."""
    limit = runtime.territory.max_request_body_bytes

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        try:
            route, caller = admit(event, routes, limit)
            target = resolve_target(runtime, route, caller, event)
            check_body(route.body, _header(event, "content-type"), event.get("body"), _base64(event))
        except DomainError as error:
            logger.info("request refused", extra={"error": error.code, "reason": error.message})
            return _error_result(error, str(event.get("routeKey") or ""))
        context_values = {ROUTE: route, PRINCIPAL: caller, RUNTIME: runtime, TARGET: target}
        app.append_context(**context_values)  # type: ignore[no-untyped-call]
        if caller is not None:
            logger.append_keys(role=caller.role.value)
        return app.resolve(event, context)

    return handler


def http_function(*routers: Router) -> tuple[APIGatewayHttpResolver, LambdaHandler]:
    """A capability's resolver and Lambda entry point, its runtime made now (at cold start)."""
    runtime = Runtime.from_environment()
    app = build_resolver(*routers)
    return app, lambda_entry(app, runtime)
