"""The effecteur's card (GET /effecteurs/{national_id})."""

from __future__ import annotations

from sas_common.answers import answers
from sas_common.api import new_router, runtime, target_card
from sas_common.effecteurs.model import Card
from sas_common.effecteurs.service import card_with_participation
from sas_common.params import NationalIdPath
from sas_common.routes import EFFECTEUR_CARD

router = new_router()


@router.get(
    EFFECTEUR_CARD.resolver_path,
    summary=EFFECTEUR_CARD.summary,
    tags=["effecteurs"],
    responses=answers(
        EFFECTEUR_CARD,
        {200: "the card: directory data, places, info for the regulator, participation, unavailability"},
        404,
        422,
    ),
)
def get_card(national_id: NationalIdPath) -> Card:
    rt = runtime(router)
    card = target_card(router)
    return card_with_participation(rt, card)
