"""The orientations dashboards (HTTP): the territory's for regulators and admins, an effecteur's for them and
their delegates, and the effecteur marking that a consultation took place. Thin handlers: the criteria go
to `sas_common.orientations.listing`, the reads to `sas_common.orientations.dashboard`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from booking.answers import OrientationsAnswer, OrientationView
from sas_common.answers import answers
from sas_common.api import new_router, runtime
from sas_common.orientations import dashboard
from sas_common.orientations.listing import (
    AHEAD_DAYS,
    DEFAULT_DAYS,
    DEFAULT_PAGE_SIZE,
    MAX_DAYS,
    MAX_PAGE_SIZE,
    Listing,
    read_listing,
)
from sas_common.params import NationalIdPath
from sas_common.routes import EFFECTEUR_ORIENTATIONS, ORIENTATION_DONE, ORIENTATIONS_LIST
from sas_common.runtime import Runtime

router = new_router()
TAGS = ["orientations"]

PERIOD = (
    f"The period is `from` → `to`, the territory's local dates, both included (default: the last "
    f"{DEFAULT_DAYS} days and the next {AHEAD_DAYS}; at most {MAX_DAYS}); orientations are placed by their "
    "slot's start (at most 48 h ahead: a booking made today is in the default period). A booking "
    "and the editor's record of it are one orientation: the record's status shows as `record_status`."
)
From = Annotated[str | None, Query(alias="from", description="YYYY-MM-DD, the first day (local)")]
To = Annotated[str | None, Query(description="YYYY-MM-DD, the last day (local)")]
Outcome = Annotated[
    str | None,
    Query(description="one or several (comma-separated) statuses, of bookings or of editors' records"),
]
PageSize = Annotated[str | None, Query(description=f"1 … {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE})")]
Cursor = Annotated[str | None, Query(description="the previous page's cursor")]
OrientationIdPath = Annotated[str, Path(min_length=1, max_length=64, description="a booking's id")]
BAD = (
    400,
    "a criterion is malformed or beyond its limit, or the cursor is not this listing's: `field` names it",
)


def _listing(rt: Runtime) -> Listing:
    params = dict(router.current_event.query_string_parameters or {})
    return read_listing(params, datetime.now(rt.territory.zone).date(), rt.territory.zone)


@router.get(
    ORIENTATIONS_LIST.resolver_path,
    summary=ORIENTATIONS_LIST.summary,
    description=f"{PERIOD} `effecteur=<national id>` or `regulator=<subject>` narrows to one.",
    tags=TAGS,
    responses=answers(ORIENTATIONS_LIST, {200: "a page of orientations, in the order of their start"}, BAD),
)
def list_orientations(
    from_: From = None,
    to: To = None,
    outcome: Outcome = None,
    effecteur: Annotated[str | None, Query(description="a national id, or 3 + SIRET")] = None,
    regulator: Annotated[str | None, Query(description="a regulator's subject")] = None,
    page_size: PageSize = None,
    cursor: Cursor = None,
) -> OrientationsAnswer:
    rt = runtime(router)
    params = dict(router.current_event.query_string_parameters or {})
    return OrientationsAnswer.of(dashboard.territory(rt, _listing(rt), params))


@router.get(
    EFFECTEUR_ORIENTATIONS.resolver_path,
    summary=EFFECTEUR_ORIENTATIONS.summary,
    description=PERIOD,
    tags=TAGS,
    responses=answers(
        EFFECTEUR_ORIENTATIONS, {200: "a page of the orientations towards the effecteur"}, BAD, 404
    ),
)
def effecteur_orientations(
    national_id: NationalIdPath,
    from_: From = None,
    to: To = None,
    outcome: Outcome = None,
    page_size: PageSize = None,
    cursor: Cursor = None,
) -> OrientationsAnswer:
    rt = runtime(router)
    return OrientationsAnswer.of(dashboard.of_effecteur(rt, national_id, _listing(rt)))


@router.post(
    ORIENTATION_DONE.resolver_path,
    summary=ORIENTATION_DONE.summary,
    description="For a confirmed booking towards the effecteur; marking it again changes nothing.",
    tags=TAGS,
    responses=answers(
        ORIENTATION_DONE,
        {200: "the orientation, with `done_at`"},
        (404, "no such effecteur, or no confirmed booking of that id towards them (`field` names it)"),
        422,
    ),
)
def mark_done(national_id: NationalIdPath, orientation_id: OrientationIdPath) -> OrientationView:
    rt = runtime(router)
    return OrientationView.of(dashboard.mark_done(rt, national_id, orientation_id, datetime.now(UTC)))
