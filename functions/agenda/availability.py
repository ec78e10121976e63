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
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from sas_common.agenda import service
from sas_common.agenda.model import AvailabilityInput, AvailabilityPatch, Scope
from sas_common.agenda.unavailability import UnavailabilityInput
from sas_common.api import new_router, principal
from sas_common.effecteurs.access import card_for
from sas_common.params import NationalIdPath, PlaceIdPath
from sas_common.routes import (
    AGENDA_GET,
    AVAILABILITY_CREATE,
    AVAILABILITY_DELETE,
    AVAILABILITY_EDIT,
    UNAVAILABILITY_PUT,
)
from sas_common.settings import get_settings

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


def _answers(success: int, description: str, *errors: int) -> dict[int, OpenAPIResponse]:
    documented: dict[int, OpenAPIResponse] = {success: {"description": description}}
    documented.update({status: ERRORS[status] for status in errors})
    return documented


ERRORS: dict[int, OpenAPIResponse] = {
    404: {"description": "unknown effecteur, place or availability (`field` names it)"},
    409: {
        "description": "rule `editor_synced`: the effecteur's slots come from an editor; or a replayed "
        "Idempotency-Key with another body; or a concurrent change"
    },
    422: {"description": "a field or a rule is broken: `field` and `rule` name it"},
}


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    AVAILABILITY_CREATE.resolver_path,
    status_code=201,
    summary=AVAILABILITY_CREATE.summary,
    tags=TAGS,
    responses=_answers(201, "the availability created, with its `id`", 404, 409, 422),
)
def create_availability(
    national_id: NationalIdPath, body: AvailabilityInput, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    who = principal(router)
    card = card_for(national_id, who, AVAILABILITY_CREATE.action_required)
    now = _now()
    series = service.create(card, who, body, now=now, idempotency_key=idempotency_key)
    return service.series_view(series, service.local_today(now))


@router.patch(
    AVAILABILITY_EDIT.resolver_path,
    summary=AVAILABILITY_EDIT.summary,
    tags=TAGS,
    responses=_answers(200, "the availability after the change", 404, 409, 422),
)
def edit_availability(
    national_id: NationalIdPath,
    availability_id: AvailabilityIdPath,
    body: AvailabilityPatch,
    scope: ScopeQuery,
    date: DateQuery = None,
) -> dict[str, Any]:
    who = principal(router)
    card = card_for(national_id, who, AVAILABILITY_EDIT.action_required)
    now = _now()
    series = service.edit(card, who, availability_id, scope=scope, day=date, patch=body, now=now)
    return service.series_view(series, service.local_today(now))


@router.delete(
    AVAILABILITY_DELETE.resolver_path,
    status_code=204,
    summary=AVAILABILITY_DELETE.summary,
    tags=TAGS,
    responses=_answers(204, "deleted (deleting a cancelled occurrence again changes nothing)", 404, 422),
)
def delete_availability(
    national_id: NationalIdPath,
    availability_id: AvailabilityIdPath,
    scope: ScopeQuery,
    date: DateQuery = None,
) -> Response[Any]:
    who = principal(router)
    card = card_for(national_id, who, AVAILABILITY_DELETE.action_required)
    service.delete(card, who, availability_id, scope=scope, day=date, now=_now())
    return Response(status_code=204)


@router.get(
    AGENDA_GET.resolver_path,
    summary=AGENDA_GET.summary,
    tags=TAGS,
    responses=_answers(
        200, "`{from, to, timezone, occurrences: [...]}`, instants with their offset", 404, 422
    ),
)
def get_agenda(
    national_id: NationalIdPath,
    from_: Annotated[dt.date, Query(alias="from", description="first local day, included")],
    to: Annotated[dt.date, Query(description="last local day, included")],
) -> dict[str, Any]:
    card = card_for(national_id, principal(router), AGENDA_GET.action_required)
    return {
        "from": from_.isoformat(),
        "to": to.isoformat(),
        "timezone": get_settings().territory.timezone,
        "occurrences": service.agenda(card, from_, to),
    }


@router.put(
    UNAVAILABILITY_PUT.resolver_path,
    summary=UNAVAILABILITY_PUT.summary,
    tags=TAGS,
    responses=_answers(200, "the place's unavailability after the change", 404, 422),
)
def put_unavailability(
    national_id: NationalIdPath, place_id: PlaceIdPath, body: UnavailabilityInput
) -> dict[str, Any]:
    who = principal(router)
    card = card_for(national_id, who, UNAVAILABILITY_PUT.action_required)
    unavailability = service.set_unavailability(card, who, place_id, body, now=_now())
    if unavailability is None:
        return {"place_id": place_id, "indefinite": False, "since": None, "periods": []}
    return unavailability.model_dump(mode="json")
