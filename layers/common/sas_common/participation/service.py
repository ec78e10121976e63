"""Participation's use cases: an effecteur's declaration, a structure's, and the territory-wide reset.

Saving a declaration has effects beyond the `participations` table, and every path that saves one goes
through `save_effecteur` / `_save`, so none is forgotten:
- the editors it shows are kept in step (index `by_editor`: who is polled), in the same transaction;
- the slots of an editor it no longer shows are removed at once (a refused display must never be shown);
- an effecteur's manual slots are materialised again (switching to or from an editor hides or restores
  them) and their places are filed in, or taken out of, the en-sus directory (index `by_ensus_cell`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sas_common.agenda.materialise import materialise
from sas_common.effecteurs.model import Card
from sas_common.errors import Conflict, StaleWrite
from sas_common.fhir.codes import siret_idnst, siret_of
from sas_common.participation import rules
from sas_common.participation.versions import Saved
from sas_common.tables import effecteur_pk, structure_pk
from sas_common.territory import EditorKind

if TYPE_CHECKING:
    from sas_common.runtime import Runtime


def history(rt: Runtime, national_id: str) -> tuple[Saved | None, list[Saved]]:
    """An effecteur's current version and the versions before it, newest first."""
    owner = effecteur_pk(national_id)
    return rt.participations.load_current(owner), rt.participations.history(owner)


def declare(rt: Runtime, card: Card, declaration: rules.Declaration, *, by: str) -> tuple[Saved, bool]:
    """Check and save an effecteur's declaration with all its effects; (saved, created). The same content
    again creates no version and changes nothing."""
    rules.check(
        declaration,
        # A doctor chooses among the editors of doctors and CPTS; SOS editors are the associations' choice.
        territory_editors=[e.id for e in rt.territory.editors if e.kind is not EditorKind.SOS],
        place_ids=[place.id for place in card.places],
    )
    return save_effecteur(rt, card.national_id, declaration, by=by, card=card)


def declare_structure(
    rt: Runtime, structure_id: str, declaration: rules.StructureDeclaration, *, by: str
) -> tuple[Saved, bool]:
    rules.check_structure(
        declaration,
        structure_id=structure_id,
        sos_editors=[e.id for e in rt.territory.editors if e.kind is EditorKind.SOS],
    )
    return _save(
        rt,
        structure_pk(structure_id),
        declaration.model_dump(mode="json"),
        by=by,
        editors=rules.polled_editors(declaration),
    )


@dataclass(frozen=True)
class ResetPage:
    reset_id: str
    reset: int  # declarations reset by this page
    seen: int  # declarations the page read
    cursor: str | None  # the next page's, None when done


def reset_page(rt: Runtime, *, by: str, reset_id: str | None, cursor: str | None, limit: int) -> ResetPage:
    """One page of the territory-wide reset: every current declaration back to defaults (nothing ticked),
    as a new version tagged with the reset, with the effects of any save (an effecteur's en-sus places go,
    their editors stop being polled). A retried page is harmless: declarations already tagged with this
    reset are left as they are."""
    reset_id = reset_id or str(uuid.uuid4())
    page, next_cursor = rt.participations.current_page(cursor, limit)
    done = 0
    for saved in page:
        if saved.reset_id == reset_id:
            continue
        if saved.national_id is not None:
            save_effecteur(rt, saved.national_id, rules.Declaration.defaults(), by=by, reset_id=reset_id)
        else:
            defaults = {**saved.content, "participates": False, "honour_two_hours_per_doctor": False}
            _save(rt, saved.owner, defaults, by=by, reset_id=reset_id)
        done += 1
    return ResetPage(reset_id, done, len(page), next_cursor)


def save_effecteur(
    rt: Runtime,
    national_id: str,
    declaration: rules.Declaration,
    *,
    by: str,
    reset_id: str | None = None,
    card: Card | None = None,
) -> tuple[Saved, bool]:
    """Save a declaration whose rules hold (`declare` checks them; a reset's defaults break none), with all
    its effects. The manual slots are materialised again only when the manual agenda becomes allowed or
    not (switching to or from an editor hides or restores them now, not at the next job run): otherwise a
    materialisation would write exactly what is there."""
    owner = effecteur_pk(national_id)
    before = rt.participations.load_current(owner)
    saved, created = _save(
        rt,
        owner,
        declaration.model_dump(mode="json"),
        by=by,
        editors=rules.shown_editors(declaration),
        reset_id=reset_id,
        previous=before,
    )
    if created:
        previous = rules.Declaration.model_validate(before.content) if before else None
        if rules.manual_agenda_allowed(previous) != rules.manual_agenda_allowed(declaration):
            materialise(rt, national_id, datetime.now(UTC))
        card = card or rt.effecteurs.load_card(national_id)
        if card is not None:
            rt.effecteurs.file_for_en_sus(card, accepting=rules.accepts_extra_patients(declaration))
    return saved, created


def _save(
    rt: Runtime,
    owner: str,
    content: Mapping[str, Any],
    *,
    by: str,
    editors: frozenset[str] = frozenset(),
    reset_id: str | None = None,
    previous: Saved | None = None,
) -> tuple[Saved, bool]:
    """Store `content` as the owner's new version (over `previous`, the current version if the caller has
    read it), the editors it shows in step; (saved, created)."""
    store = rt.participations
    previous = previous or store.load_current(owner)
    if previous is not None and previous.content == content and previous.reset_id == reset_id:
        return previous, False
    version = previous.version + 1 if previous else 1
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    saved = Saved(owner, version, dict(content), now, by, reset_id)
    declared = store.declared_editors(owner)
    try:
        store.save(previous, saved, editors=editors, declared=declared)
    except StaleWrite:
        raise Conflict("the declaration was changed at the same time; reload and save again") from None
    _withdraw_slots(rt, owner, declared - editors)
    return saved, True


def _withdraw_slots(rt: Runtime, owner: str, editors: frozenset[str]) -> None:
    """The slots of editors the owner no longer shows go now, not when they expire: editor slots of an
    effecteur who refused their display must never be shown (docs/domain.md), nor those of a dropped
    editor. An association's slots are owned by `3` + its SIRET."""
    identifier = owner.partition("#")[2]
    if owner == effecteur_pk(identifier):
        slot_owner: str | None = identifier
    else:
        number = siret_of(identifier)
        slot_owner = siret_idnst(number) if number else None
    if slot_owner is None:
        return
    for editor in sorted(editors):
        rt.slots.remove_source(editor, slot_owner)
