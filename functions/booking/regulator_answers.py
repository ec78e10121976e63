"""The answers of the regulator accounts' routes (flow INT_R02): an account and each level-2 editor's state
of its current version. Regulators are professionals: nothing here is patient data."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from sas_common.answers import is_none
from sas_common.regulators.model import EditorSync, SyncState
from sas_common.regulators.service import AccountView

ANSWER = ConfigDict(extra="forbid", frozen=True)


class EditorSyncView(BaseModel):
    model_config = ANSWER

    editor_id: str
    state: SyncState = Field(
        description="`pending` (queued, or being retried after a 5xx, 429 or timeout), `synced` (the editor "
        "answered 2xx) or `failed` (the editor refused it: `reason`)"
    )
    attempts: int = Field(description="requests sent to the editor for this version")
    at: datetime | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="when the editor answered (synced or failed)"
    )
    editor_status: int | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="the editor's HTTP status (synced or failed)"
    )
    reason: str | SkipJsonSchema[None] = Field(
        None,
        exclude_if=is_none,
        description="why it failed: `HTTP <status>: ` and the editor's OperationOutcome diagnostics (≤ 300 "
        "characters)",
    )
    last_error: str | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="while pending: the last attempt's error, to be retried"
    )

    @classmethod
    def of(cls, sync: EditorSync) -> Self:
        return cls(
            editor_id=sync.editor_id,
            state=sync.state,
            attempts=sync.attempts,
            at=sync.at,
            editor_status=sync.editor_status,
            reason=sync.reason,
            last_error=sync.last_error,
        )


class RegulatorAnswer(BaseModel):
    model_config = ANSWER

    regulator_id: str
    national_id: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    technical_id: str | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="the SAS technical id, for a regulator without a national id"
    )
    family_name: str
    given_name: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    email: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    active: bool = Field(description="as saved (editors are told `false` once the account is removed)")
    removed: bool = Field(description="removed (DELETE): sent to editors as an inactive Practitioner")
    version: int = Field(description="+1 on every save and removal; what the editors' states are about")
    updated_at: datetime
    editors: list[EditorSyncView] = Field(
        description="each level-2 editor of the territory the current version was sent to, by id"
    )

    @classmethod
    def of(cls, view: AccountView) -> Self:
        account = view.account
        national = account.has_national_id
        return cls(
            regulator_id=account.regulator_id,
            national_id=account.identifier if national else None,
            technical_id=None if national else account.identifier,
            family_name=account.family_name,
            given_name=account.given_name,
            email=account.email,
            active=account.active,
            removed=account.removed,
            version=account.version,
            updated_at=account.updated_at,
            editors=[EditorSyncView.of(sync) for sync in view.editors],
        )
