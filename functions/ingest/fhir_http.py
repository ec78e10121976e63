"""What the ingest capability's FHIR routes share: the raw body, FHIR answers."""

from __future__ import annotations

import base64
import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from sas_common.api import FHIR_JSON


def body_text(router: Router) -> str:
    event = router.current_event
    body = event.body or ""
    return base64.b64decode(body).decode("utf-8", errors="replace") if event.is_base64_encoded else body


def fhir_response(
    status: HTTPStatus, resource: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status, content_type=FHIR_JSON, body=json.dumps(resource), headers=headers or {}
    )
