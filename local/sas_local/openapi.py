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

from sas_common.capabilities import Capability
from sas_common.routes import ROUTES, Route

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
    app = APIGatewayHttpResolver(enable_validation=True)
    for capability in Capability:
        for router in capability_routers(capability):
            app.include_router(router)
    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title=TITLE,
            version=VERSION,
            description=DESCRIPTION,
            security_schemes={SECURITY_SCHEME: HTTPBearer(bearerFormat="JWT")},
        )
    )
    for route in ROUTES:
        operation = document.get("paths", {}).get(route.path, {}).get(route.method.lower())
        if operation is not None:
            _describe_access(operation, route)
    return document


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
