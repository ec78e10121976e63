"""Delegate requests (délégataires): asked by an effecteur, approved by a territory admin.

A delegate logs in with the e-mail address of the request as their subject; once approved, the policy lets
them act on that effecteur's agenda only (the card carries the approved subjects, `auth.Scope.PRINCIPAL`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

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


def new_request(wanted: DelegateRequest, now: datetime) -> Delegate:
    """The pending delegate a request makes (its id from the e-mail: asking again is the same request)."""
    return Delegate(
        **wanted.model_dump(),
        id=delegate_id(wanted.email),
        status=DelegateStatus.PENDING,
        requested_at=utc_text(now),
    )


def utc_text(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
