from __future__ import annotations

from sas_common.routes import ROUTES
from sas_local.openapi import DOCUMENT, build_document, render


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
