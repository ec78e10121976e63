"""The effecteur's card (GET /effecteurs/{national_id})."""

from __future__ import annotations

from typing import Any

from sas_common.api import new_router, principal
from sas_common.auth import authorize
from sas_common.effecteurs import store
from sas_common.errors import NotFound
from sas_common.params import NationalIdPath
from sas_common.routes import EFFECTEUR_CARD

router = new_router()


@router.get(EFFECTEUR_CARD.resolver_path, summary=EFFECTEUR_CARD.summary, tags=["effecteurs"])
def get_card(national_id: NationalIdPath) -> dict[str, Any]:
    card = store.load_card(national_id)
    if card is None:
        raise NotFound(f"no effecteur {national_id} in this territory's directory", field="national_id")
    authorize(principal(router), EFFECTEUR_CARD.action_required, card.target)
    return card.model_dump(mode="json")
