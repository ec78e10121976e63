"""Agenda capability routes: thin handlers over sas_common.effecteurs."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path

from sas_common.api import new_router, principal
from sas_common.auth import Target, authorize
from sas_common.effecteurs import store
from sas_common.errors import NotFound
from sas_common.identifiers import NATIONAL_ID_PATTERN
from sas_common.routes import EFFECTEUR_CARD

router = new_router()

NationalIdPath = Annotated[str, Path(pattern=NATIONAL_ID_PATTERN, description="8 + RPPS, or 0 + ADELI")]


@router.get(EFFECTEUR_CARD.resolver_path, summary=EFFECTEUR_CARD.summary, tags=["effecteurs"])
def get_card(national_id: NationalIdPath) -> dict[str, Any]:
    card = store.load_card(national_id)
    if card is None:
        raise NotFound(f"no effecteur {national_id} in this territory's directory", field="national_id")
    authorize(principal(router), EFFECTEUR_CARD.action_required, Target(national_id, card.structure_ids))
    return card.model_dump(mode="json", exclude={"structure_ids"})
