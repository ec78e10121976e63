"""The effecteur's use cases: their card (for an action), their info for the regulator, delegates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sas_common.auth import Action, Principal, Role, authorize
from sas_common.effecteurs.delegates import Delegate, DelegateRequest, new_request, utc_text
from sas_common.effecteurs.model import Card, RegulatorInfo
from sas_common.errors import Conflict, NotFound
from sas_common.participation.rules import editor_synced

if TYPE_CHECKING:
    from sas_common.runtime import Runtime


def _unknown(national_id: str) -> NotFound:
    return NotFound(f"no effecteur {national_id} in this territory's directory", field="national_id")


def card_for(rt: Runtime, national_id: str, principal: Principal, action: Action) -> Card:
    """The effecteur's card, if `principal` may do `action` on it.

    Unknown first (404), then forbidden (403): the national directory is public, existence is no secret.
    """
    card = rt.effecteurs.load_card(national_id)
    if card is None:
        raise _unknown(national_id)
    authorize(principal, action, card.target)
    return card


def card_with_participation(rt: Runtime, card: Card) -> Card:
    """The card as shown: with the current declaration."""
    declaration = rt.participations.declaration(card.national_id)
    return card.model_copy(
        update={"participation": declaration.model_dump(mode="json") if declaration else None}
    )


def set_regulator_info(rt: Runtime, caller: Principal, national_id: str, info: RegulatorInfo) -> None:
    """Replace the info for the regulator. An editor-synced effecteur's is written by the territory."""
    declaration = rt.participations.declaration(national_id)
    if caller.role is Role.EFFECTEUR and declaration is not None and editor_synced(declaration):
        raise Conflict(
            "your slots come from your booking software: the territory writes your info for the regulator",
            field="national_id",
        )
    if not rt.effecteurs.update_regulator_info(national_id, info):
        raise _unknown(national_id)


def request_delegate(
    rt: Runtime, national_id: str, wanted: DelegateRequest, now: datetime | None = None
) -> tuple[Delegate, bool]:
    """Record a pending request; (delegate, created). A replay answers the stored request."""
    delegate = new_request(wanted, now or datetime.now(UTC))
    if rt.effecteurs.add_delegate(national_id, delegate):
        return delegate, True
    stored = rt.effecteurs.load_delegate(national_id, delegate.id)
    assert stored is not None  # the put's condition found it
    return stored, False


def approve_delegate(
    rt: Runtime, national_id: str, delegate_id: str, now: datetime | None = None
) -> Delegate:
    approved = rt.effecteurs.approve_delegate(national_id, delegate_id, utc_text(now or datetime.now(UTC)))
    if approved is None:
        raise NotFound(f"no delegate request {delegate_id} for {national_id}", field="delegate_id")
    return approved
