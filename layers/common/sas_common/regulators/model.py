"""A regulator account, what an admin sends to make or change one, each level-2 editor's state of it, and the
queue message that sends one version to one editor. Plain typed Python: no AWS, no HTTP.

Regulators are professionals: an account holds their identifier, name and professional e-mail, nothing of
any patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sas_common.identifiers import NationalId, is_national_id
from sas_common.territory import EDITOR_ID_PATTERN

# The SAS technical id of a regulator without a national id: a UUID (docs/interop.md).
TECHNICAL_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
REGULATOR_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
NAME_MAX = 100
EMAIL_MAX = 254

TechnicalId = Annotated[
    str,
    Field(
        pattern=TECHNICAL_ID_PATTERN,
        description="the SAS technical id (a UUID), for a regulator without a national id",
        examples=["7d0c3f3e-2a4b-4c1e-9a57-3b8e2f0c1d2a"],
    ),
]
Name = Annotated[str, Field(min_length=1, max_length=NAME_MAX, pattern=r"\S")]
Email = Annotated[str, Field(max_length=EMAIL_MAX, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class RegulatorRequest(BaseModel):
    """`PUT /regulators/{regulator_id}`: exactly one of `national_id` and `technical_id`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    national_id: NationalId | None = None
    technical_id: TechnicalId | None = None
    family_name: Name
    given_name: Name | None = None
    email: Email | None = Field(None, description="professional e-mail, sent as the Practitioner's telecom")
    active: bool = Field(description="false: the account is suspended (sent as an inactive Practitioner)")


@dataclass(frozen=True)
class RegulatorAccount:
    regulator_id: str
    identifier: str  # the national id, or the SAS technical id
    family_name: str
    given_name: str | None
    email: str | None
    active: bool
    removed: bool
    version: int  # +1 on every save and removal
    updated_at: datetime

    @property
    def has_national_id(self) -> bool:
        return is_national_id(self.identifier)

    @property
    def sent_active(self) -> bool:
        """What editors are told: a removed or suspended account is inactive."""
        return self.active and not self.removed


class SyncState(StrEnum):
    PENDING = "pending"  # to send, or being retried (an editor's 5xx, 429, timeout)
    SYNCED = "synced"  # the editor answered 2xx
    FAILED = "failed"  # the editor refused it (another answer: its OperationOutcome says why)


@dataclass(frozen=True)
class EditorSync:
    """A level-2 editor's state of one version of an account."""

    editor_id: str
    version: int
    state: SyncState
    attempts: int = 0
    known: bool = False  # the editor has accepted a version before: later ones are PUT, not POST
    at: datetime | None = None  # when it was synced or failed
    editor_status: int | None = None  # the editor's HTTP answer
    reason: str | None = None  # why it failed (bounded)
    last_error: str | None = None  # the last attempt a retry may fix, while pending


class SyncMessage(BaseModel):
    """One version of an account to send to one editor (queue `regulator_sync`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    regulator_id: Annotated[str, Field(pattern=REGULATOR_ID_PATTERN)]
    editor_id: Annotated[str, Field(pattern=EDITOR_ID_PATTERN)]
    version: Annotated[int, Field(ge=1)]
