"""The manual agenda (HTTP): availabilities, the agenda of occurrences, places' unavailability.

Thin handlers: parse, call `sas_common.agenda.service`, answer. Times in bodies are wall-clock `HH:MM` in
the territory's zone; the agenda answers instants in ISO 8601 with their offset.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from agenda.answers import AgendaAnswer, SeriesView, UnavailabilityAnswer
from sas_common.agenda import service
from sas_common.agenda.model import AvailabilityInput, AvailabilityPatch, Scope
from sas_common.agenda.unavailability import UnavailabilityInput
from sas_common.answers import answers
from sas_common.api import new_router, principal, runtime, target_card
from sas_common.params import NationalIdPath, PlaceIdPath
from sas_common.routes import (
    AGENDA_GET,
    AVAILABILITY_CREATE,
    AVAILABILITY_DELETE,
    AVAILABILITY_EDIT,
    UNAVAILABILITY_PUT,
)

router = new_router()
TAGS = ["agenda"]

AvailabilityIdPath = Annotated[str, Path(min_length=1, max_length=64, description="an availability's id")]
ScopeQuery = Annotated[Scope, Query(description="this occurrence only, or the whole series")]
DateQuery = Annotated[
    dt.date | None,
    Query(
        description="scope=occurrence: the occurrence's day (required); scope=series: the first day the "
        "change applies to (default: today; earlier days keep their schedule)"
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=128,
        description="optional: a replay with the same key and body answers the availability first created",
    ),
]


UNKNOWN = 404, "unknown effecteur, place or availability (`field` names it)"
CONFLICT = (
    409,
    "rule `editor_synced`: the effecteur's slots come from an editor; or a replayed Idempotency-Key with "
    "another body; or a concurrent change",
)


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    AVAILABILITY_CREATE.resolver_path,
    status_code=201,
    summary=AVAILABILITY_CREATE.summary,
    tags=TAGS,
    responses=answers(
        AVAILABILITY_CREATE,
        {201: "the availability created, with its `id` (a replay: the one first created)"},
        400,
        UNKNOWN,
        CONFLICT,
        422,
    ),
)
def create_availability(
    national_id: NationalIdPath, body: AvailabilityInput, idempotency_key: IdempotencyKey = None
) -> SeriesView:
    who, rt = principal(router), runtime(router)
    card = target_card(router)
    now = _now()
    series = service.create(rt, card, who, body, now=now, idempotency_key=idempotency_key)
    return SeriesView.of(series, service.local_today(rt, now))


@router.patch(
    AVAILABILITY_EDIT.resolver_path,
    summary=AVAILABILITY_EDIT.summary,
    tags=TAGS,
    responses=answers(
        AVAILABILITY_EDIT, {200: "the availability after the change"}, 400, UNKNOWN, CONFLICT, 422
    ),
)
def edit_availability(
    national_id: NationalIdPath,
    availability_id: AvailabilityIdPath,
    body: AvailabilityPatch,
    scope: ScopeQuery,
    date: DateQuery = None,
) -> SeriesView:
    who, rt = principal(router), runtime(router)
    card = target_card(router)
    now = _now()
    series = service.edit(rt, card, who, availability_id, scope=scope, day=date, patch=body, now=now)
    return SeriesView.of(series, service.local_today(rt, now))


@router.delete(
    AVAILABILITY_DELETE.resolver_path,
    status_code=204,
    summary=AVAILABILITY_DELETE.summary,
    tags=TAGS,
    responses=answers(
        AVAILABILITY_DELETE,
        {204: "deleted (deleting a cancelled occurrence again changes nothing)"},
        UNKNOWN,
        (409, "changed at the same time by another request: reload and try again"),
        422,
    ),
)
def delete_availability(
    national_id: NationalIdPath,
    availability_id: AvailabilityIdPath,
    scope: ScopeQuery,
    date: DateQuery = None,
) -> Response[Any]:
    who, rt = principal(router), runtime(router)
    card = target_card(router)
    service.delete(rt, card, who, availability_id, scope=scope, day=date, now=_now())
    return Response(status_code=204)


@router.get(
    AGENDA_GET.resolver_path,
    summary=AGENDA_GET.summary,
    tags=TAGS,
    responses=answers(AGENDA_GET, {200: "the occurrences, instants with their offset"}, 404, 422),
)
def get_agenda(
    national_id: NationalIdPath,
    from_: Annotated[dt.date, Query(alias="from", description="first local day, included")],
    to: Annotated[dt.date, Query(description="last local day, included")],
) -> AgendaAnswer:
    rt = runtime(router)
    card = target_card(router)
    return AgendaAnswer.of(from_, to, rt.territory.zone, service.agenda(rt, card, from_, to))


@router.put(
    UNAVAILABILITY_PUT.resolver_path,
    summary=UNAVAILABILITY_PUT.summary,
    tags=TAGS,
    responses=answers(
        UNAVAILABILITY_PUT,
        {200: "the place's unavailability after the change"},
        400,
        (404, "unknown effecteur or place (`field` names it)"),
        422,
    ),
)
def put_unavailability(
    national_id: NationalIdPath, place_id: PlaceIdPath, body: UnavailabilityInput
) -> UnavailabilityAnswer:
    who, rt = principal(router), runtime(router)
    card = target_card(router)
    unavailability = service.set_unavailability(rt, card, who, place_id, body, now=_now())
    return UnavailabilityAnswer.of(place_id, unavailability)
