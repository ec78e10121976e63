"""Info for the regulator and delegate requests."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from agenda.answers import RegulatorInfoAnswer
from sas_common.answers import answers
from sas_common.api import new_router, principal, runtime
from sas_common.effecteurs import service
from sas_common.effecteurs.delegates import Delegate, DelegateRequest
from sas_common.effecteurs.model import RegulatorInfo
from sas_common.params import NationalIdPath
from sas_common.routes import DELEGATE_APPROVE, DELEGATE_REQUEST, REGULATOR_INFO_PUT

router = new_router()
TAGS = ["effecteurs"]

DelegateIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the id answered by the request")]


@router.put(
    REGULATOR_INFO_PUT.resolver_path,
    summary=REGULATOR_INFO_PUT.summary,
    tags=TAGS,
    responses=answers(
        REGULATOR_INFO_PUT,
        {200: "the info for the regulator, as saved"},
        400,
        404,
        (409, "the effecteur's slots come from their booking software: the territory writes this info"),
        422,
    ),
)
def put_regulator_info(national_id: NationalIdPath, info: RegulatorInfo) -> RegulatorInfoAnswer:
    caller, rt = principal(router), runtime(router)
    service.set_regulator_info(rt, caller, national_id, info)
    return RegulatorInfoAnswer(national_id=national_id, regulator_info=info)


@router.post(
    DELEGATE_REQUEST.resolver_path,
    summary=DELEGATE_REQUEST.summary,
    tags=TAGS,
    responses=answers(
        DELEGATE_REQUEST,
        {
            201: "the pending request, recorded (`approved_at` absent)",
            200: "the same person was already requested: the request as stored",
        },
        400,
        404,
        422,
        model=Delegate,
    ),
)
def request_delegate(national_id: NationalIdPath, wanted: DelegateRequest) -> Response[Any]:
    rt = runtime(router)
    delegate, created = service.request_delegate(rt, national_id, wanted)
    return Response(
        status_code=201 if created else 200,
        content_type="application/json",
        body=delegate.model_dump(mode="json", exclude_none=True),
    )


@router.post(
    DELEGATE_APPROVE.resolver_path,
    summary=DELEGATE_APPROVE.summary,
    tags=TAGS,
    responses=answers(
        DELEGATE_APPROVE,
        {200: "the delegate, approved"},
        (404, "unknown effecteur, or no such delegate request (`field` names it)"),
        422,
    ),
)
def approve_delegate(national_id: NationalIdPath, delegate_id: DelegateIdPath) -> Delegate:
    rt = runtime(router)
    return service.approve_delegate(rt, national_id, delegate_id)
