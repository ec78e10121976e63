"""Public routes: liveness and the OpenAPI document of every route with its Swagger UI.

The OpenAPI document is generated from every capability's resolver at build time
(`make openapi`), committed, and checked in CI, so this function ships one JSON file instead of
importing every capability.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import Response

from sas_common.api import new_router
from sas_common.routes import DOCS, HEALTH, OPENAPI

router = new_router()

# Powertools ships Swagger UI's script and style: the page works with no network, as locally.
SWAGGER_UI_PACKAGE = "aws_lambda_powertools.event_handler.openapi.swagger_ui"


@cache
def openapi_document() -> str:
    return resources.files("sas_common").joinpath("openapi.json").read_text(encoding="utf-8")


@router.get(HEALTH.resolver_path, summary=HEALTH.summary, tags=["platform"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(OPENAPI.resolver_path, include_in_schema=False)
def openapi() -> Response[Any]:
    return Response(status_code=200, content_type="application/json", body=openapi_document())


@router.get(DOCS.resolver_path, include_in_schema=False)
def docs() -> Response[Any]:
    # Imported here: it costs a third of this function's cold start, and only /docs needs it.
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = resources.files(SWAGGER_UI_PACKAGE)
    html = generate_swagger_html(
        openapi_document().replace("</", "<\\/"),  # keep a "</script>" inside the spec from closing the page
        assets.joinpath("swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        assets.joinpath("swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )
    return Response(status_code=200, content_type="text/html", body=html)


ROUTERS = (router,)
