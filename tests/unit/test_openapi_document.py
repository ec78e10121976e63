from __future__ import annotations

from sas_common.capabilities import Capability
from sas_common.routes import ROUTES
from sas_local.openapi import DOCUMENT, build_document, capability_routers, render


def test_the_committed_openapi_document_is_current() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), "run `make openapi` and commit the result"


def test_every_documented_route_and_its_security() -> None:
    paths = build_document()["paths"]
    for route in ROUTES:
        if route.path in ("/openapi.json", "/docs"):
            continue
        operation = paths[route.path][route.method.lower()]
        if route.protected:
            assert operation["security"] == [{"proSanteConnect": []}]
            assert {"401", "403"} <= set(operation["responses"])
        else:
            assert operation["security"] == []


def test_building_the_document_leaves_each_router_to_its_own_functions_resolver() -> None:
    # Including a router in the document's resolver would point its request context there: a function
    # of the same process would then lose its requests' context ("runtime read outside a request").
    routers = [router for capability in Capability for router in capability_routers(capability)]
    serving = [router.api_resolver for router in routers]

    build_document()

    assert [router.api_resolver for router in routers] == serving
