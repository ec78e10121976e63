"""Routes of the eligibility capability: none yet (the function exists; docs/contract.md lists the planned
routes)."""

from __future__ import annotations

from sas_common.api import new_router

router = new_router()

ROUTERS = (router,)
