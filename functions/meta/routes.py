"""Public routes: liveness and the OpenAPI document of every route with its Swagger UI.

The OpenAPI document is generated from every capability's resolver at build time
(`make openapi`), committed, and checked in CI, so this function ships one JSON file instead of
importing every capability.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, Field

from sas_common.api import new_router
from sas_common.routes import DOCS, HEALTH, OPENAPI

router = new_router()
TAGS = ["platform"]

# Powertools ships Swagger UI's script and style: the page works with no network, as locally.
SWAGGER_UI_PACKAGE = "aws_lambda_powertools.event_handler.openapi.swagger_ui"


@cache
def openapi_document() -> str:
    return resources.files("sas_common").joinpath("openapi.json").read_text(encoding="utf-8")


class Health(BaseModel):
    status: Literal["ok"] = Field(description="the function answers")


@router.get(
    HEALTH.resolver_path,
    summary=HEALTH.summary,
    tags=TAGS,
    responses={200: {"description": "the platform's API answers"}},
)
def health() -> Health:
    return Health(status="ok")


@router.get(
    OPENAPI.resolver_path,
    summary=OPENAPI.summary,
    tags=TAGS,
    responses={
        200: {
            "description": "this document",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "an OpenAPI 3 document",
                        "required": ["openapi"],
                    }
                }
            },
        }
    },
)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=openapi_document())


@router.get(
    DOCS.resolver_path,
    summary=DOCS.summary,
    tags=TAGS,
    responses={
        200: {
            "description": "Swagger UI over this document, its script and style inline (no network needed)",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    },
)
def docs() -> Response[str]:
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
