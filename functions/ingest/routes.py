"""Ingest capability routes (the FHIR push and appointment records arrive with the ingest issue)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

router = Router()
