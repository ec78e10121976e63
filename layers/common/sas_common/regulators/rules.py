"""The rules of regulator accounts and of their sending to level-2 editors (flow INT_R02), no I/O: which
identifier an account has, the next version of an account, which editors receive it, whether a queued
message is still due, and what an editor's answer means."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sas_common.errors import RuleViolation
from sas_common.regulators.model import EditorSync, RegulatorAccount, RegulatorRequest, SyncState
from sas_common.territory import EditorConfig, EditorLevel

REASON_MAX = 300  # what is kept of an editor's refusal


def identifier_of(request: RegulatorRequest) -> str:
    """The account's identifier: exactly one of `national_id` and `technical_id` (422 naming the field)."""
    if request.national_id is not None and request.technical_id is not None:
        raise RuleViolation(
            "give national_id or technical_id, not both", field="technical_id", rule="one_identifier"
        )
    identifier = request.national_id or request.technical_id
    if identifier is None:
        raise RuleViolation(
            "national_id (or, without one, technical_id) is required",
            field="national_id",
            rule="one_identifier",
        )
    return identifier


def check_same_identifier(previous: RegulatorAccount | None, request: RegulatorRequest) -> None:
    """An account keeps its identifier: editors find it by it (PUT `?identifier=`)."""
    if previous is None:
        return
    identifier = identifier_of(request)
    if identifier != previous.identifier:
        field = "national_id" if request.national_id is not None else "technical_id"
        raise RuleViolation(
            "an account keeps the identifier it was created with: remove it and create another account",
            field=field,
            rule="identifier_immutable",
        )


def saved_account(
    regulator_id: str, request: RegulatorRequest, previous: RegulatorAccount | None, now: datetime
) -> RegulatorAccount:
    """The account as a save makes it: the request's values, the next version, not removed."""
    check_same_identifier(previous, request)
    return RegulatorAccount(
        regulator_id=regulator_id,
        identifier=identifier_of(request),
        family_name=request.family_name,
        given_name=request.given_name,
        email=request.email,
        active=request.active,
        removed=False,
        version=(previous.version if previous else 0) + 1,
        updated_at=now,
    )


def removed_account(previous: RegulatorAccount, now: datetime) -> RegulatorAccount:
    """The account once removed: inactive, the next version (a repeated removal sends it again)."""
    return RegulatorAccount(
        regulator_id=previous.regulator_id,
        identifier=previous.identifier,
        family_name=previous.family_name,
        given_name=previous.given_name,
        email=previous.email,
        active=False,
        removed=True,
        version=previous.version + 1,
        updated_at=now,
    )


def receives(editor: EditorConfig) -> bool:
    """Accounts are sent to level-2 editors (end-to-end booking) only."""
    return editor.level is EditorLevel.END_TO_END_BOOKING


def receiving_editors(editors: Iterable[EditorConfig]) -> list[EditorConfig]:
    """The editors an account is sent to, by id."""
    return sorted((editor for editor in editors if receives(editor)), key=lambda editor: editor.id)


def is_due(version: int, account: RegulatorAccount | None, sync: EditorSync | None) -> bool:
    """A message sending `version` still has work to do: it is the account's current version and the
    editor's state of it is pending. An older version (a newer one was saved and has its own message) or a
    state already settled (SQS delivered the message twice) is dropped."""
    return (
        account is not None
        and account.version == version
        and sync is not None
        and sync.version == version
        and sync.state is SyncState.PENDING
    )


def first_send(sync: EditorSync) -> bool:
    """POST the first time the account goes to an editor that never accepted it; afterwards — and on a
    retry, since an attempt that timed out may have reached the editor — a conditional PUT on its
    identifier, which creates it if the editor does not have it: never a second create."""
    return not sync.known and sync.attempts == 0


class Verdict(StrEnum):
    SYNCED = "synced"
    FAILED = "failed"  # refused: a retry would get the same answer
    RETRY = "retry"  # the editor is unavailable or throttling: the queue tries again


def verdict(status: int) -> Verdict:
    """2xx synced; 429 and 5xx retried; any other answer refused."""
    if 200 <= status < 300:
        return Verdict.SYNCED
    if status == 429 or status >= 500:
        return Verdict.RETRY
    return Verdict.FAILED


def diagnostics(body: Any, text: str) -> str:
    """What an editor's OperationOutcome says (its issues' diagnostics, else their codes); the body's text
    when it is no OperationOutcome."""
    issues = body.get("issue") if isinstance(body, Mapping) else None
    if isinstance(issues, Sequence) and not isinstance(issues, str):
        said = [
            str(issue.get("diagnostics") or issue.get("code") or "")
            for issue in issues
            if isinstance(issue, Mapping)
        ]
        if any(said):
            return "; ".join(part for part in said if part)
    return text.strip() or "no reason given"


def refusal(status: int, body: Any, text: str) -> str:
    """Why an editor refused, bounded to `REASON_MAX` characters: `HTTP <status>: <diagnostics>`."""
    return f"HTTP {status}: {diagnostics(body, text)}"[:REASON_MAX]


def current_states(account: RegulatorAccount, syncs: Iterable[EditorSync]) -> list[EditorSync]:
    """The editors' states of the account's current version, by editor (an older version's state
    belongs to an editor the current version was not sent to: no longer a level-2 editor)."""
    return sorted(
        (sync for sync in syncs if sync.version == account.version), key=lambda sync: sync.editor_id
    )
