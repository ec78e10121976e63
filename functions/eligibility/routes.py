"""Avenant 9 over HTTP: an effecteur's and a structure's indicators, the liberal regulators' shifts and
statements, and the territory's CSV exports. Thin handlers: the parameters to
`sas_common.eligibility.service`, its result to an answer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from eligibility.answers import (
    CsvExport,
    EffecteurEligibilityAnswer,
    ShiftRequest,
    ShiftsAnswer,
    ShiftView,
    StatementAnswer,
    StructureEligibilityAnswer,
)
from sas_common.answers import answers
from sas_common.api import new_router, principal, runtime
from sas_common.eligibility import service
from sas_common.eligibility.rules import FIRST_YEAR, asked_month, asked_quarter
from sas_common.params import NationalIdPath
from sas_common.routes import (
    EFFECTEUR_ELIGIBILITY,
    ELIGIBILITY_EXPORT_EFFECTEURS,
    ELIGIBILITY_EXPORT_REGULATION,
    REGULATION_STATEMENT,
    SHIFT_DELETE,
    SHIFT_LOG,
    SHIFTS_GET,
    STRUCTURE_ELIGIBILITY,
    Route,
)

router = new_router()
TAGS = ["eligibility"]

YearQuery = Annotated[
    int | None,
    Query(ge=FIRST_YEAR, le=9999, description="the year (default: this year); a future year is 422"),
]
QuarterQuery = Annotated[
    int | None,
    Query(ge=1, le=4, description="1-4 (default: the current quarter, or the fourth of a past year)"),
]
MonthQuery = Annotated[
    str | None, Query(max_length=7, description="`YYYY-MM` (default: the month in progress)")
]
StructureIdPath = Annotated[
    str, Path(min_length=1, max_length=64, description="SIRET, FINESS or structure id")
]
RegulatorIdPath = Annotated[
    str,
    Path(pattern=r"^[A-Za-z0-9._@+-]{1,128}$", description="the regulator: their token's subject"),
]
ShiftIdPath = Annotated[str, Path(pattern=r"^\d{8}T\d{4}Z$", description="a shift's id (its start, UTC)")]

# A page of the download, and what one answer computes in the HTTP API's 29 s (bench/eligibility_export.py).
MAX_EXPORT_PAGE = 1000
WHOLE_EXPORT_HINT = 3000
PERIOD = 422, "`year`, `quarter` or `month` malformed, unknown or to come (rule `future_period`)"
CSV_MEDIA = "text/csv"


def _now() -> datetime:
    return datetime.now(UTC)


def _csv(route: Route, description: str, *errors: int | tuple[int, str]) -> dict[int, OpenAPIResponse]:
    documented = answers(route, {200: description}, *errors)
    documented[200] = {"description": description, "content": {CSV_MEDIA: {"model": CsvExport}}}
    return documented


def _csv_response(lines: Iterable[str], filename: str) -> Response[str]:
    """The whole file: built line by line from pages of the territory's data (an HTTP API answer cannot
    stream; a territory's quarter is a few hundred kB)."""
    return Response(
        status_code=200,
        content_type=f"{CSV_MEDIA}; charset=utf-8",
        body="".join(lines),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    EFFECTEUR_ELIGIBILITY.resolver_path,
    summary=EFFECTEUR_ELIGIBILITY.summary,
    description="Indicator 8 for the ISO year so far (each week's hours, requirement, verdict and source; "
    "the failing weeks named; the current week in progress), through the quarter asked, and indicator 9 for "
    "that quarter (count, band, amount).",
    tags=TAGS,
    responses=answers(EFFECTEUR_ELIGIBILITY, {200: "the effecteur's indicators"}, 404, PERIOD),
)
def effecteur_eligibility(
    national_id: NationalIdPath, year: YearQuery = None, quarter: QuarterQuery = None
) -> EffecteurEligibilityAnswer:
    rt, now = runtime(router), _now()
    asked = asked_quarter(year, quarter, service.local_today(rt, now))
    found = service.effecteur_eligibility(rt, national_id, asked, now)
    return EffecteurEligibilityAnswer.of(national_id, found, rt.territory.zone)


@router.get(
    STRUCTURE_ELIGIBILITY.resolver_path,
    summary=STRUCTURE_ELIGIBILITY.summary,
    tags=TAGS,
    responses=answers(
        STRUCTURE_ELIGIBILITY,
        {200: "the structure's indicator 8"},
        (404, "the structure never declared (`field`: structure_id)"),
        PERIOD,
    ),
)
def structure_eligibility(
    structure_id: StructureIdPath, year: YearQuery = None, quarter: QuarterQuery = None
) -> StructureEligibilityAnswer:
    rt, now = runtime(router), _now()
    asked = asked_quarter(year, quarter, service.local_today(rt, now))
    found = service.structure_eligibility(rt, structure_id, asked, now)
    return StructureEligibilityAnswer.of(structure_id, found, rt.territory.zone)


@router.get(
    ELIGIBILITY_EXPORT_EFFECTEURS.resolver_path,
    summary=ELIGIBILITY_EXPORT_EFFECTEURS.summary,
    description="Columns: year, quarter, national_id, last_name, first_name, modality, participates, "
    "indicator_8 (met, not_met, in_progress, not_participating: the year so far through the quarter), "
    "indicator_8_failing_weeks (`;`-separated), indicator_9_count, indicator_9_band, indicator_9_amount_eur. "
    "One line per effecteur with a declaration, computed page by page of the territory's declarations. "
    f"Without `limit`, the whole territory in one answer (it must fit in the HTTP API's 29 s: about "
    f"{WHOLE_EXPORT_HINT:,} declarations); with `limit`, at most that many declarations, the header line "
    "on the first page only, and while more remain the next page's `cursor` in `X-Next-Cursor` (and a "
    '`Link: <…>; rel="next"`): the pages, concatenated, are the file.',
    tags=TAGS,
    responses=_csv(
        ELIGIBILITY_EXPORT_EFFECTEURS,
        "the quarter's CSV, or a page of it (UTF-8, header line first)",
        PERIOD,
    ),
)
def export_effecteurs(
    year: YearQuery = None,
    quarter: QuarterQuery = None,
    limit: Annotated[
        int | None, Query(ge=1, le=MAX_EXPORT_PAGE, description="declarations in this page (default: all)")
    ] = None,
    cursor: Annotated[
        str | None, Query(min_length=1, max_length=200, description="the previous page's `X-Next-Cursor`")
    ] = None,
) -> Response[str]:
    rt, now = runtime(router), _now()
    asked = asked_quarter(year, quarter, service.local_today(rt, now))
    pages = service.ExportPages(cursor=cursor)
    response = _csv_response(
        service.quarter_csv(rt, asked, now, pages, limit), f"effecteurs-{asked.label}.csv"
    )
    if limit is not None and not pages.done and pages.cursor is not None:
        following = urlencode(
            {"year": asked.year, "quarter": asked.number, "limit": limit, "cursor": pages.cursor}
        )
        response.headers["X-Next-Cursor"] = pages.cursor
        response.headers["Link"] = f'<{ELIGIBILITY_EXPORT_EFFECTEURS.path}?{following}>; rel="next"'
    return response


@router.get(
    ELIGIBILITY_EXPORT_REGULATION.resolver_path,
    summary=ELIGIBILITY_EXPORT_REGULATION.summary,
    description="Columns: month, association_id, regulator_id, shift_id, start, end (territory time), "
    "minutes, paid_minutes, amount_eur. One line per shift, by association, regulator and start.",
    tags=TAGS,
    responses=_csv(ELIGIBILITY_EXPORT_REGULATION, "the month's CSV (UTF-8, header line first)", PERIOD),
)
def export_regulation(month: MonthQuery = None) -> Response[str]:
    rt = runtime(router)
    asked = asked_month(month, service.local_today(rt, _now()))
    return _csv_response(service.month_csv(rt, asked), f"regulation-{asked.label}.csv")


@router.post(
    SHIFT_LOG.resolver_path,
    summary=SHIFT_LOG.summary,
    description="Paid: the minutes inside weekdays 08:00–20:00 and Saturday 08:00–12:00 (territory time), "
    "public holidays excepted (paid as Sundays: they belong to the out-of-hours service), at 90 € an hour.",
    tags=TAGS,
    responses=answers(
        SHIFT_LOG,
        {201: "the shift logged, with what it is paid"},
        400,
        (409, "the regulator's shifts changed at the same time: send it again"),
        (
            422,
            "a field is malformed, or a rule is broken (`rule`): shift_ends_before_start, shift_too_long, "
            "shift_not_whole_minutes, shift_overlaps, month_closed",
        ),
        model=ShiftView,
    ),
)
def log_shift(regulator_id: RegulatorIdPath, shift: ShiftRequest) -> Response[Any]:
    rt, now = runtime(router), _now()
    paid = service.log_shift(
        rt, principal(router), regulator_id, shift.association_id, shift.start, shift.end, now
    )
    body = ShiftView.of(paid, rt.territory.zone).model_dump(mode="json")
    return Response(status_code=201, content_type="application/json", body=body)


@router.get(
    SHIFTS_GET.resolver_path,
    summary=SHIFTS_GET.summary,
    tags=TAGS,
    responses=answers(SHIFTS_GET, {200: "the month's shifts and totals"}, PERIOD),
)
def shifts(regulator_id: RegulatorIdPath, month: MonthQuery = None) -> ShiftsAnswer:
    rt = runtime(router)
    asked = asked_month(month, service.local_today(rt, _now()))
    return ShiftsAnswer.of(service.regulator_month(rt, regulator_id, asked), rt.territory.zone)


@router.delete(
    SHIFT_DELETE.resolver_path,
    summary=SHIFT_DELETE.summary,
    tags=TAGS,
    responses=answers(
        SHIFT_DELETE,
        {204: "deleted"},
        (404, "no such shift of this regulator"),
        (422, "the shift's month has ended (rule `month_closed`), or the id is malformed"),
    ),
)
def delete_shift(regulator_id: RegulatorIdPath, shift_id: ShiftIdPath) -> Response[Any]:
    service.delete_shift(runtime(router), regulator_id, shift_id, _now())
    return Response(status_code=204, content_type="application/json", body="")


@router.get(
    REGULATION_STATEMENT.resolver_path,
    summary=REGULATION_STATEMENT.summary,
    tags=TAGS,
    responses=answers(REGULATION_STATEMENT, {200: "each regulator's month and the total"}, PERIOD),
)
def regulation_statement(structure_id: StructureIdPath, month: MonthQuery = None) -> StatementAnswer:
    rt = runtime(router)
    asked = asked_month(month, service.local_today(rt, _now()))
    return StatementAnswer.of(service.association_statement(rt, structure_id, asked))


ROUTERS = (router,)
