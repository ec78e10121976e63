"""Routes of the search capability (they arrive with its issue; the function and its wiring exist now)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
