"""Ingest capability routes (the FHIR push and appointment records arrive with the ingest issue)."""

from __future__ import annotations

from sas_common.api import new_router

router = new_router()

ROUTERS = (router,)
