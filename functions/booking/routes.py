"""Routes of the booking capability (they arrive with its issue; the function and its wiring exist now)."""

from __future__ import annotations

from sas_common.api import new_router

router = new_router()

ROUTERS = (router,)
