"""Participation declarations: an effecteur's (versioned), a structure's, and the territory-wide reset."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from sas_common.agenda.materialise import materialise
from sas_common.api import new_router, principal
from sas_common.auth import Target, authorize
from sas_common.effecteurs import store as effecteurs
from sas_common.effecteurs.access import card_for
from sas_common.params import NationalIdPath
from sas_common.participation import rules
from sas_common.participation import store as declarations
from sas_common.routes import (
    DECLARATIONS_RESET,
    PARTICIPATION_GET,
    PARTICIPATION_PUT,
    STRUCTURE_PARTICIPATION_PUT,
)
from sas_common.settings import get_settings
from sas_common.territory import EditorKind

router = new_router()
TAGS = ["participation"]
RESET_PAGE_MAX = 200

StructureIdPath = Annotated[
    str, Path(min_length=1, max_length=64, description="SIRET, FINESS or structure id")
]


def _answer(saved: declarations.Saved, created: bool, declaration: rules.Declaration) -> dict[str, Any]:
    return {
        **saved.as_dict(),
        "created": created,
        "editor_synced": rules.editor_synced(declaration),
        "manual_agenda_allowed": rules.manual_agenda_allowed(declaration),
    }


@router.put(PARTICIPATION_PUT.resolver_path, summary=PARTICIPATION_PUT.summary, tags=TAGS)
def declare(national_id: NationalIdPath, declaration: rules.Declaration) -> dict[str, Any]:
    caller = principal(router)
    card = card_for(national_id, caller, PARTICIPATION_PUT.action_required)
    territory = get_settings().territory
    rules.check(
        declaration,
        # A doctor chooses among the editors of doctors and CPTS; SOS editors are the associations' choice.
        territory_editors=[editor.id for editor in territory.editors if editor.kind is not EditorKind.SOS],
        place_ids=[place.id for place in card.places],
    )
    saved, created = declarations.save_effecteur(national_id, declaration, by=caller.subject)
    if created:
        # Switching to or from an editor hides or restores the manual slots now, not at the next job run.
        materialise(national_id, datetime.now(UTC))
        effecteurs.file_for_en_sus(card, accepting=declaration.participates)
    return _answer(saved, created, declaration)


@router.get(PARTICIPATION_GET.resolver_path, summary=PARTICIPATION_GET.summary, tags=TAGS)
def read(national_id: NationalIdPath) -> dict[str, Any]:
    card_for(national_id, principal(router), PARTICIPATION_GET.action_required)
    owner = declarations.effecteur_key(national_id)
    current = declarations.load_current(owner)
    return {
        "current": current.as_dict() if current else None,
        "history": [saved.as_dict() for saved in declarations.history(owner)],
    }


@router.put(STRUCTURE_PARTICIPATION_PUT.resolver_path, summary=STRUCTURE_PARTICIPATION_PUT.summary, tags=TAGS)
def declare_structure(
    structure_id: StructureIdPath, declaration: rules.StructureDeclaration
) -> dict[str, Any]:
    caller = principal(router)
    authorize(
        caller, STRUCTURE_PARTICIPATION_PUT.action_required, Target(structure_ids=frozenset({structure_id}))
    )
    territory = get_settings().territory
    rules.check_structure(
        declaration,
        structure_id=structure_id,
        sos_editors=[editor.id for editor in territory.editors if editor.kind is EditorKind.SOS],
    )
    saved, created = declarations.save_structure(structure_id, declaration, by=caller.subject)
    return {**saved.as_dict(), "created": created, "weekly_hours_required": declaration.weekly_hours_required}


class ResetRequest(BaseModel):
    """One page of a reset. Send the `reset_id` and `cursor` answered by the previous page until `done`."""

    model_config = ConfigDict(extra="forbid")

    reset_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{8,64}$")] | None = None
    cursor: Annotated[str, Field(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=RESET_PAGE_MAX)] = 100


@router.post(DECLARATIONS_RESET.resolver_path, summary=DECLARATIONS_RESET.summary, tags=TAGS)
def reset(request: ResetRequest) -> dict[str, Any]:
    """Every current declaration back to defaults (nothing ticked), as a new version tagged with the reset.

    Paged so no request runs long; a retried page is harmless: declarations already tagged with this
    reset are left as they are.
    """
    caller = principal(router)
    reset_id = request.reset_id or str(uuid.uuid4())
    page, cursor = declarations.current_owners(request.cursor, request.limit)
    done = 0
    for saved in page:
        if saved.reset_id == reset_id:
            continue
        if saved.owner.startswith("EFF#"):
            declarations.save_effecteur(
                saved.owner.removeprefix("EFF#"),
                rules.Declaration.defaults(),
                by=caller.subject,
                reset_id=reset_id,
            )
        else:
            defaults = {**saved.content, "participates": False, "honour_two_hours_per_doctor": False}
            declarations.save(saved.owner, defaults, by=caller.subject, reset_id=reset_id)
        done += 1
    return {"reset_id": reset_id, "reset": done, "seen": len(page), "cursor": cursor, "done": cursor is None}
