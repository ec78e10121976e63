"""Load an effecteur for an action: 404 when unknown, then role and ownership (403)."""

from __future__ import annotations

from sas_common.auth import Action, Principal, authorize
from sas_common.effecteurs import store
from sas_common.effecteurs.model import Card
from sas_common.errors import NotFound


def card_for(national_id: str, principal: Principal, action: Action) -> Card:
    """The effecteur's card, if `principal` may do `action` on it.

    Unknown first (404), then forbidden (403): the national directory is public, existence is no secret.
    """
    card = store.load_card(national_id)
    if card is None:
        raise NotFound(f"no effecteur {national_id} in this territory's directory", field="national_id")
    authorize(principal, action, card.target)
    return card
