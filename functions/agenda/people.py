"""Info for the regulator and delegate requests."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from sas_common.api import new_router, principal
from sas_common.auth import Role
from sas_common.effecteurs import delegates, store
from sas_common.effecteurs.access import card_for
from sas_common.effecteurs.model import RegulatorInfo
from sas_common.errors import Conflict
from sas_common.params import NationalIdPath
from sas_common.participation import rules
from sas_common.participation import store as declarations
from sas_common.routes import DELEGATE_APPROVE, DELEGATE_REQUEST, REGULATOR_INFO_PUT

router = new_router()
TAGS = ["effecteurs"]

DelegateIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the id answered by the request")]


@router.put(REGULATOR_INFO_PUT.resolver_path, summary=REGULATOR_INFO_PUT.summary, tags=TAGS)
def put_regulator_info(national_id: NationalIdPath, info: RegulatorInfo) -> dict[str, Any]:
    caller = principal(router)
    card_for(national_id, caller, REGULATOR_INFO_PUT.action_required)
    declaration = declarations.current(national_id)
    if caller.role is Role.EFFECTEUR and declaration is not None and rules.editor_synced(declaration):
        raise Conflict(
            "your slots come from your booking software: the territory writes your info for the regulator",
            field="national_id",
        )
    store.update_regulator_info(national_id, info)
    return {"national_id": national_id, "regulator_info": info.model_dump(mode="json")}


@router.post(DELEGATE_REQUEST.resolver_path, summary=DELEGATE_REQUEST.summary, tags=TAGS)
def request_delegate(national_id: NationalIdPath, wanted: delegates.DelegateRequest) -> Response[Any]:
    card_for(national_id, principal(router), DELEGATE_REQUEST.action_required)
    delegate, created = delegates.request(national_id, wanted)
    return Response(
        status_code=201 if created else 200,
        content_type="application/json",
        body=delegate.model_dump(mode="json", exclude_none=True),
    )


@router.post(DELEGATE_APPROVE.resolver_path, summary=DELEGATE_APPROVE.summary, tags=TAGS)
def approve_delegate(national_id: NationalIdPath, delegate_id: DelegateIdPath) -> dict[str, Any]:
    card_for(national_id, principal(router), DELEGATE_APPROVE.action_required)
    return delegates.approve(national_id, delegate_id).model_dump(mode="json", exclude_none=True)
