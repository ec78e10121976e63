"""Ingest capability routes: the editors' FHIR push of slots and their appointment records (INT_R03)."""

from __future__ import annotations

from ingest import appointments, push

ROUTERS = (push.router, appointments.router)
