"""The shared resolver's error mapping, on a route with a JSON body (the platform's own body routes arrive
with their capabilities; this pins the behaviour they inherit)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from pydantic import BaseModel, Field

from sas_common.api import build_resolver, lambda_entry, new_router
from sas_common.auth import Action
from sas_common.capabilities import Capability
from sas_common.errors import Conflict
from sas_common.routes import Route
from sas_local.gateway import HttpRequest, api_gateway_event
from sas_local.lambdas import LambdaContext
from sas_local.platform import LocalPlatform

ECHO = Route("POST", "/echo/{name}", Capability.META, Action.IMPORT_DIRECTORY, "test route")
CLASH = Route("POST", "/clash", Capability.META, None, "always a conflict")


class Payload(BaseModel):
    count: int = Field(ge=1)
    label: str


router = new_router()


@router.post("/echo/<name>")
def echo(name: str, payload: Payload) -> dict[str, Any]:
    return {"name": name, "count": payload.count}


@router.post("/clash")
def clash() -> dict[str, Any]:
    raise Conflict("already done", field="thing", rule="once-only")


@pytest.fixture(scope="module")
def call(platform: LocalPlatform) -> Any:  # the platform fixture provides the validated environment
    app = build_resolver(router)
    handler = lambda_entry(app, platform.runtime, routes={ECHO.key: ECHO, CLASH.key: CLASH})

    def invoke(route: Route, path: str, body: bytes, claims: dict[str, str] | None) -> tuple[int, Any]:
        request = HttpRequest("POST", path, "", {"content-type": "application/json"}, body)
        event = api_gateway_event(request, route.key, {"name": path.rsplit("/", 1)[-1]}, claims)
        result = handler(event, cast(Any, LambdaContext("test")))
        import json

        return result["statusCode"], json.loads(result["body"])

    return invoke


ADMIN = {"sub": "admin", "sas_role": "territory_admin"}


def test_a_valid_body_reaches_the_handler(call: Any) -> None:
    assert call(ECHO, "/echo/a", b'{"count": 2, "label": "x"}', ADMIN) == (200, {"name": "a", "count": 2})


def test_malformed_json_is_400_with_the_parse_error(call: Any) -> None:
    status, body = call(ECHO, "/echo/a", b'{"count": 2,', ADMIN)
    assert status == 400
    assert body["error"] == "invalid_input"
    assert body["message"].startswith("the body is not valid JSON")


@pytest.mark.parametrize(
    ("body", "field"),
    [(b'{"label": "x"}', "count"), (b'{"count": 0, "label": "x"}', "count"), (b'{"count": 1}', "label")],
)
def test_a_bad_field_is_422_naming_it(call: Any, body: bytes, field: str) -> None:
    status, answer = call(ECHO, "/echo/a", body, ADMIN)
    assert status == 422
    assert answer["field"] == field
    assert answer["message"].startswith(f"{field}: ")


def test_the_role_check_runs_before_the_body_is_read(call: Any) -> None:
    status, _ = call(ECHO, "/echo/a", b"garbage", {"sub": "r", "sas_role": "regulator"})
    assert status == 403


def test_no_claims_on_a_protected_route_is_401(call: Any) -> None:
    assert call(ECHO, "/echo/a", b"{}", None)[0] == 401


def test_domain_errors_map_to_their_status_and_body(call: Any) -> None:
    status, body = call(CLASH, "/clash", b"", None)
    assert (status, body) == (
        409,
        {"error": "conflict", "message": "already done", "field": "thing", "rule": "once-only"},
    )
