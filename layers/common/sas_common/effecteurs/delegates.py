"""Delegate requests (délégataires): asked by an effecteur, approved by a territory admin.

A delegate logs in with the e-mail address of the request as their subject; once approved, the policy lets
them act on that effecteur's agenda only (the card carries the approved subjects, `auth.Scope.PRINCIPAL`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from sas_common import storage
from sas_common.effecteurs.store import DELEGATE_PREFIX, effecteur_pk
from sas_common.errors import NotFound
from sas_common.tables import EFFECTEURS, PK, SK

Name = Annotated[str, Field(min_length=1, max_length=100)]
# Deliberately simple: the address is checked by the admin who approves and by the login it is used with.
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]


class DelegateStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"


class DelegateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    last_name: Name
    first_name: Name
    city: Name
    email: Email


class Delegate(DelegateRequest):
    id: str
    status: DelegateStatus
    requested_at: str
    approved_at: str | None = None


def delegate_id(email: str) -> str:
    """Stable per (effecteur, e-mail): asking twice for the same person is the same request."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def request(national_id: str, wanted: DelegateRequest, now: datetime | None = None) -> tuple[Delegate, bool]:
    """Record a pending request; (delegate, created). A replay answers the stored request."""
    identifier = delegate_id(wanted.email)
    delegate = Delegate(
        **wanted.model_dump(), id=identifier, status=DelegateStatus.PENDING, requested_at=_now(now)
    )
    key = {PK: effecteur_pk(national_id), SK: DELEGATE_PREFIX + identifier}
    try:
        storage.table(EFFECTEURS).put_item(
            Item={
                **key,
                **delegate.model_dump(mode="json", exclude_none=True),
                "subject": wanted.email.lower(),
            },
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": PK},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return _load(key), False
    return delegate, True


def approve(national_id: str, identifier: str, now: datetime | None = None) -> Delegate:
    key = {PK: effecteur_pk(national_id), SK: DELEGATE_PREFIX + identifier}
    try:
        response = storage.table(EFFECTEURS).update_item(
            Key=key,
            UpdateExpression="SET #status = :approved, approved_at = if_not_exists(approved_at, :now)",
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#status": "status", "#pk": PK},
            ExpressionAttributeValues={":approved": DelegateStatus.APPROVED.value, ":now": _now(now)},
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotFound(
                f"no delegate request {identifier} for {national_id}", field="delegate_id"
            ) from error
        raise
    return _delegate(response["Attributes"])


def _load(key: dict[str, str]) -> Delegate:
    item = storage.table(EFFECTEURS).get_item(Key=key, ConsistentRead=True)["Item"]
    return _delegate(item)


def _delegate(item: dict[str, Any]) -> Delegate:
    return Delegate.model_validate({k: v for k, v in item.items() if k not in (PK, SK, "subject")})


def _now(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
