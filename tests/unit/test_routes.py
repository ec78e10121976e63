from __future__ import annotations

import pytest

from sas_common.capabilities import Capability
from sas_common.routes import EFFECTEUR_CARD, HEALTH, ROUTES, match
from sas_local.openapi import capability_routers, registered_route_keys


def test_match_finds_the_route_and_its_parameters() -> None:
    assert match("GET", "/effecteurs/810000000001") == (EFFECTEUR_CARD, {"national_id": "810000000001"})
    assert match("GET", "/health") == (HEALTH, {})


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/health"), ("GET", "/nowhere"), ("GET", "/effecteurs/"), ("GET", "/effecteurs/1/2/3")],
)
def test_unknown_routes_do_not_match(method: str, path: str) -> None:
    assert match(method, path) is None


def test_route_keys_are_unique() -> None:
    assert len({route.key for route in ROUTES}) == len(ROUTES)


@pytest.mark.parametrize("capability", list(Capability))
def test_each_capability_handles_exactly_its_routes(capability: Capability) -> None:
    declared = {route.key for route in ROUTES if route.capability is capability}
    assert registered_route_keys(capability_routers(capability)) == declared


def test_only_documentation_and_health_are_public() -> None:
    assert {route.path for route in ROUTES if not route.protected} == {"/health", "/openapi.json", "/docs"}
