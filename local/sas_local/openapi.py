"""Generates the committed OpenAPI document (`sas_common/openapi.json`) from every capability's router.

`make openapi` rewrites it; a test regenerates it and fails if the committed file is stale. The deployed
`meta` function serves the committed file, so it never imports the other capabilities.

Usage: python -m sas_local.openapi [--check]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from sas_common.bodies import MAX_DEPTH, MAX_INTEGER_DIGITS, MEDIA_TYPES
from sas_common.capabilities import Capability
from sas_common.routes import ROUTES, Body, Route

DOCUMENT = Path(importlib.import_module("sas_common").__path__[0]) / "openapi.json"
SECURITY_SCHEME = "proSanteConnect"
TITLE = "SAS digital platform"
VERSION = "1"
DESCRIPTION = (
    "Plateforme numérique du Service d'Accès aux Soins, one deployment per territory. Protected routes "
    "take a Pro Santé Connect access token (Authorization: Bearer); editors' FHIR routes use mutual TLS "
    "in production."
)


def capability_routers(capability: Capability) -> tuple[Router, ...]:
    """The routers a capability's handler serves (`<capability>.routes.ROUTERS`)."""
    routers = importlib.import_module(f"{capability.value}.routes").ROUTERS
    assert all(isinstance(router, Router) for router in routers)
    return tuple(routers)


def registered_route_keys(routers: tuple[Router, ...]) -> set[str]:
    """`METHOD /path/{param}` of every handler the routers register (powertools keys its routes by rule)."""
    keys: set[str] = set()
    for rule, methods, *_ in (key for router in routers for key in router._routes):
        path = rule.replace("<", "{").replace(">", "}")
        keys.update(f"{method} {path}" for method in methods)
    return keys


def build_document() -> dict[str, Any]:
    """The whole API's document, from one resolver including every capability's routers. Including a
    router points its request state (`router.context`, `current_event`) at the including resolver: each
    router is given back its own function's resolver afterwards, so that building the document in a
    process that serves requests (the tests, `make run` in-process) leaves those requests their context."""
    routers = [router for capability in Capability for router in capability_routers(capability)]
    serving = [getattr(router, "api_resolver", None) for router in routers]
    app = APIGatewayHttpResolver(enable_validation=True)
    try:
        for router in routers:
            app.include_router(router)
        text = app.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            description=DESCRIPTION,
            security_schemes={SECURITY_SCHEME: HTTPBearer(bearerFormat="JWT")},
        )
    finally:
        for router, resolver in zip(routers, serving, strict=True):
            router.api_resolver = resolver
    document: dict[str, Any] = json.loads(text)
    for route in ROUTES:
        operation = document.get("paths", {}).get(route.path, {}).get(route.method.lower())
        if operation is not None:
            _describe_access(operation, route)
            _describe_body(operation, route)
    return document


# Powertools documents a 422 on every operation; only those whose parameters or body it validates (and the
# FHIR routes' business rules) answer one, and they describe it themselves.
POWERTOOLS_VALIDATION_ERROR = "Validation Error"
BODY_SCHEMAS: dict[Body, dict[str, Any]] = {
    Body.FHIR: {
        "type": "object",
        "required": ["resourceType"],
        "properties": {"resourceType": {"type": "string"}},
        "description": "a FHIR R4 resource, JSON (docs/interop.md)",
    },
    Body.TEXT: {"type": "string", "description": "the national directory extract, UTF-8 (docs/interop.md)"},
}


def _describe_body(operation: dict[str, Any], route: Route) -> None:
    """What the entry point checks of a body (sas_common.bodies), and the raw bodies powertools does not
    see (FHIR resources, the directory extract)."""
    responses = operation.setdefault("responses", {})
    if responses.get("422", {}).get("description") == POWERTOOLS_VALIDATION_ERROR:
        del responses["422"]
    if route.body is Body.NONE:
        return
    error = _error_content(responses)
    responses["415"] = {
        "description": f"a body that is not {' or '.join(MEDIA_TYPES[route.body])} (UTF-8)",
        **error,
    }
    bad = "empty, not UTF-8"
    if route.body is not Body.TEXT:
        bad += (
            f", not JSON, nested more than {MAX_DEPTH} deep, an integer of more than {MAX_INTEGER_DIGITS} "
            "digits, a non-finite number or a lone surrogate"
        )
    responses.setdefault("400", {**error, "description": f"a malformed body: {bad}"})
    if "requestBody" not in operation and route.body in BODY_SCHEMAS:
        operation["requestBody"] = {
            "required": True,
            "content": {media: {"schema": BODY_SCHEMAS[route.body]} for media in MEDIA_TYPES[route.body]},
        }


def _error_content(responses: dict[str, Any]) -> dict[str, Any]:
    """The body schema the operation's errors already use (JSON error or OperationOutcome)."""
    for status in ("403", "404", "400", "409"):
        content = responses.get(status, {}).get("content")
        if content:
            return {"content": content}
    return {}


def _describe_access(operation: dict[str, Any], route: Route) -> None:
    if route.action is None:
        operation["security"] = []
        return
    operation["security"] = [{SECURITY_SCHEME: []}]
    operation["x-sas-action"] = route.action.value
    responses = operation.setdefault("responses", {})
    access = {
        "401": "no token, or an invalid or expired one",
        "403": "the caller's role or ownership does not allow this action",
    }
    for status, description in access.items():  # the route's own answer (its body schema) is kept
        responses[status] = {**responses.get(status, {}), "description": description}


def render() -> str:
    return json.dumps(build_document(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the committed document is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text(encoding="utf-8") != text:
            print(f"{DOCUMENT} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
