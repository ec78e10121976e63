"""Participation declarations: an effecteur's (versioned), a structure's, and the territory-wide reset."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, ConfigDict, Field

from agenda.answers import (
    DeclarationAnswer,
    DeclarationVersion,
    ParticipationHistory,
    ResetPageAnswer,
    StructureDeclarationAnswer,
)
from sas_common.answers import answers
from sas_common.api import new_router, principal, runtime, target_card
from sas_common.params import NationalIdPath
from sas_common.participation import rules, service
from sas_common.routes import (
    DECLARATIONS_RESET,
    PARTICIPATION_GET,
    PARTICIPATION_PUT,
    STRUCTURE_PARTICIPATION_PUT,
)

router = new_router()
TAGS = ["participation"]
# Each declaration reset does all its effects (editors polled, slots withdrawn, en-sus, manual slots when
# the manual agenda comes back): a page of 100 stays well inside the HTTP API's 29 s.
RESET_PAGE_MAX = 100

StructureIdPath = Annotated[
    str, Path(min_length=1, max_length=64, description="SIRET, FINESS or structure id")
]

# Saving a declaration: a field or a rule of the declaration broken, or a concurrent save.
RULE_BROKEN = 422, "a field or a rule of the declaration is broken: `field` and `rule` name it"
SAVED_MEANWHILE = 409, "the declaration was saved at the same time by another request: reload and save again"


@router.put(
    PARTICIPATION_PUT.resolver_path,
    summary=PARTICIPATION_PUT.summary,
    tags=TAGS,
    responses=answers(
        PARTICIPATION_PUT, {200: "the version now current"}, 400, 404, SAVED_MEANWHILE, RULE_BROKEN
    ),
)
def declare(national_id: NationalIdPath, declaration: rules.Declaration) -> DeclarationAnswer:
    caller, rt = principal(router), runtime(router)
    card = target_card(router)
    saved, created = service.declare(rt, card, declaration, by=caller.subject)
    return DeclarationAnswer.of(
        saved,
        created=created,
        editor_synced=rules.editor_synced(declaration),
        manual_agenda_allowed=rules.manual_agenda_allowed(declaration),
    )


@router.get(
    PARTICIPATION_GET.resolver_path,
    summary=PARTICIPATION_GET.summary,
    tags=TAGS,
    responses=answers(PARTICIPATION_GET, {200: "the current version and the ones before it"}, 404, 422),
)
def read(national_id: NationalIdPath) -> ParticipationHistory:
    rt = runtime(router)
    current, versions = service.history(rt, national_id)
    return ParticipationHistory(
        current=DeclarationVersion.of(current) if current else None,
        history=[DeclarationVersion.of(saved) for saved in versions],
    )


@router.put(
    STRUCTURE_PARTICIPATION_PUT.resolver_path,
    summary=STRUCTURE_PARTICIPATION_PUT.summary,
    tags=TAGS,
    responses=answers(
        STRUCTURE_PARTICIPATION_PUT, {200: "the version now current"}, 400, SAVED_MEANWHILE, RULE_BROKEN
    ),
)
def declare_structure(
    structure_id: StructureIdPath, declaration: rules.StructureDeclaration
) -> StructureDeclarationAnswer:
    caller = principal(router)
    saved, created = service.declare_structure(runtime(router), structure_id, declaration, by=caller.subject)
    return StructureDeclarationAnswer.of(
        saved,
        created=created,
        weekly_hours_required=declaration.weekly_hours_required,
    )


class ResetRequest(BaseModel):
    """One page of a reset. Send the `reset_id` and `cursor` answered by the previous page until `done`."""

    model_config = ConfigDict(extra="forbid")

    reset_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{8,64}$")] | None = None
    cursor: Annotated[str, Field(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=RESET_PAGE_MAX)] = 100


@router.post(
    DECLARATIONS_RESET.resolver_path,
    summary=DECLARATIONS_RESET.summary,
    tags=TAGS,
    responses=answers(
        DECLARATIONS_RESET,
        {200: "what this page did, and the cursor of the next"},
        400,
        (409, "a declaration was saved at the same time by another request: send the same page again"),
        422,
    ),
)
def reset(request: ResetRequest) -> ResetPageAnswer:
    """Every current declaration back to defaults (nothing ticked), as a new version tagged with the reset.

    Paged so no request runs long; a retried page is harmless: declarations already tagged with this
    reset are left as they are.
    """
    page = service.reset_page(
        runtime(router),
        by=principal(router).subject,
        reset_id=request.reset_id,
        cursor=request.cursor,
        limit=request.limit,
    )
    return ResetPageAnswer.of(page)
