"""Routes of the eligibility capability (they arrive with its issue; the function exists now)."""

from __future__ import annotations

from sas_common.api import new_router

router = new_router()

ROUTERS = (router,)
