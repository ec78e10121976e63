"""The effecteur's card (GET /effecteurs/{national_id})."""

from __future__ import annotations

from typing import Any

from sas_common.api import new_router, principal
from sas_common.effecteurs.access import card_for
from sas_common.params import NationalIdPath
from sas_common.participation import store as participation
from sas_common.routes import EFFECTEUR_CARD

router = new_router()


@router.get(EFFECTEUR_CARD.resolver_path, summary=EFFECTEUR_CARD.summary, tags=["effecteurs"])
def get_card(national_id: NationalIdPath) -> dict[str, Any]:
    card = card_for(national_id, principal(router), EFFECTEUR_CARD.action_required)
    declaration = participation.current(national_id)
    card.participation = declaration.model_dump(mode="json") if declaration else None
    return card.model_dump(mode="json")
