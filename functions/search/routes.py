"""The regulator's search: free slots near a patient (`GET /search/slots`) and the en-sus directory
(`GET /search/en-sus`). Thin handlers: the criteria go to `sas_common.search.service` as asked; every
problem with them is a 400 naming the parameter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from sas_common.answers import answers
from sas_common.api import new_router, runtime
from sas_common.routes import SEARCH_EN_SUS, SEARCH_SLOTS
from sas_common.search import service
from sas_common.search.query import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_RADIUS_KM,
    MAX_PAGE_SIZE,
    MAX_QUERIES,
    MAX_RADIUS_KM,
    read_area,
)
from search.answers import EnSusAnswer, EnSusEntry, SlotSearchAnswer

router = new_router()
TAGS = ["search"]

ORDER = (
    "Results come in one neutral order, the same for every regulator: the patient's treating doctor's "
    "slots first (when `treating_doctor` is given); then slots seen in person (at the practice or at "
    "home); teleconsultation-only slots last, unless only teleconsultation is asked for. Within each "
    "group: distance band from the patient (0–5, 5–10, 10–20, over 20 km; one band for teleconsultation), "
    "then the earliest start, then a tie-break by a hash of the slot id and the day — never by editor, "
    "never by doctor. Hidden: slots ended, held or booked, ranges full; editor slots their doctor no longer "
    "shows; slots at a place during its unavailability or outside the territory."
)
LIMITS = (
    f"Limits: radius_km ≤ {MAX_RADIUS_KM:g}, a window of at most 7 days (default now → now + 48 h; a past "
    f"`from` starts now), page_size ≤ {MAX_PAGE_SIZE}, at most {MAX_QUERIES} index partitions (covering "
    "cells × days, each read only as far as the page needs); beyond, 400 naming the parameter."
)

Text = Annotated[str | None, Query(description="see the route's description")]
Latitude = Annotated[str | None, Query(description="the patient's latitude (-90 … 90), required")]
Longitude = Annotated[str | None, Query(description="the patient's longitude (-180 … 180), required")]
Radius = Annotated[
    str | None,
    Query(description=f"km around the patient, > 0, ≤ {MAX_RADIUS_KM:g} (default {DEFAULT_RADIUS_KM:g})"),
]


# API Gateway joins a repeated parameter's values with commas; where one value is expected, a repeat is a 422.
REPEATED = (422, "a parameter that takes one value was given several times: `field` names it")


def _params() -> dict[str, str]:
    return dict(router.current_event.query_string_parameters or {})


@router.get(
    SEARCH_SLOTS.resolver_path,
    summary=SEARCH_SLOTS.summary,
    description=f"{ORDER}\n\n{LIMITS}",
    tags=TAGS,
    responses=answers(
        SEARCH_SLOTS,
        {200: "a page of results, the next page's cursor, and the en-sus directory when results are few"},
        (
            400,
            "a criterion is missing, malformed or beyond its limit, or the cursor is not this search's: "
            "`field` names the parameter",
        ),
        REPEATED,
    ),
)
def search_slots(
    lat: Latitude = None,
    lon: Longitude = None,
    radius_km: Radius = None,
    from_: Annotated[
        str | None, Query(alias="from", description="ISO 8601 instant with offset (default now)")
    ] = None,
    to: Annotated[str | None, Query(description="ISO 8601 instant with offset (default from + 48 h)")] = None,
    specialty: Annotated[str | None, Query(description="a TRE_R38 code (SM54) or the editor's text")] = None,
    consultation_type: Annotated[
        list[str] | None,
        Query(description="cabinet, teleconsultation, domicile; several: repeated or comma-separated"),
    ] = None,
    walk_in: Annotated[str | None, Query(description="true: without appointment; false: with one")] = None,
    visibility: Annotated[
        list[str] | None, Query(description="PUBLIC, PRO, SNP, CPTS; several: repeated or comma-separated")
    ] = None,
    treating_doctor: Annotated[
        str | None, Query(description="the patient's doctor's national id: first")
    ] = None,
    page_size: Annotated[
        str | None, Query(description=f"1 … {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})")
    ] = None,
    cursor: Annotated[str | None, Query(description="the previous page's cursor")] = None,
) -> SlotSearchAnswer:
    return SlotSearchAnswer.of(service.search_slots(runtime(router), _params(), datetime.now(UTC)))


@router.get(
    SEARCH_EN_SUS.resolver_path,
    summary=SEARCH_EN_SUS.summary,
    description="Participating effecteurs who accept patients beyond their availabilities, at their places "
    f"within the radius, nearest first (at most {service.EN_SUS_MAX}).",
    tags=TAGS,
    responses=answers(
        SEARCH_EN_SUS,
        {200: "the en-sus directory near the patient"},
        (400, "`field` names the parameter"),
        REPEATED,
    ),
)
def search_en_sus(lat: Latitude = None, lon: Longitude = None, radius_km: Radius = None) -> EnSusAnswer:
    area = read_area(_params())
    entries = service.en_sus(runtime(router), area, datetime.now(UTC))
    return EnSusAnswer(results=[EnSusEntry.of(entry) for entry in entries])


ROUTERS = (router,)
