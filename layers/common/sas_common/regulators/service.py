"""Regulator accounts (flow INT_R02, pattern 21): save, read and remove an account, and send one version of
it to one level-2 editor as a Practitioner.

A save writes a new version of the account, every level-2 editor's state of it `pending`, then queues one
message per editor (`regulator_sync`); the queue's consumer sends it (`sync_message`). A removal is sent at
once, to every editor in parallel; an editor that could not be reached gets a message, so the queue retries
it as it retries a save. Sending: `POST [base]/Practitioner` the first time, to an editor that never
accepted the account; then (and on any retry: a timed-out POST may have arrived) the conditional
`PUT [base]/Practitioner?identifier=<system>|<value>`, which creates it if absent. A 2xx answer is
`synced`; a 429, a 5xx, a timeout or a connection error fails the message (`SyncRetry`: the queue tries
again, then parks it in its dead letters); any other answer is `failed`, with the editor's
OperationOutcome diagnostics.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn

import httpx
from pydantic import ValidationError

from sas_common.errors import Conflict, NotFound, StaleWrite, UpstreamUnavailable
from sas_common.fhir.practitioner import identifier_search, regulator_practitioner
from sas_common.ingest.client import EditorUnavailable, make_client
from sas_common.observability import logger
from sas_common.queues import REGULATOR_SYNC
from sas_common.regulators import rules
from sas_common.regulators.model import (
    EditorSync,
    RegulatorAccount,
    RegulatorRequest,
    SyncMessage,
    SyncState,
)
from sas_common.territory import EditorConfig

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

FHIR_JSON = "application/fhir+json"
MAX_PARALLEL_SENDS = 10  # a removal's sendings at once


class SyncRetry(Exception):
    """The editor gave no usable answer this time (5xx, 429, timeout, connection): the message fails and the
    queue delivers it again."""


@dataclass(frozen=True)
class AccountView:
    account: RegulatorAccount
    editors: list[EditorSync]  # each level-2 editor's state of the current version, by editor


def read(rt: Runtime, regulator_id: str) -> AccountView:
    account, syncs = rt.regulation.load_account(regulator_id)
    if account is None:
        raise NotFound(f"no regulator account {regulator_id}", field="regulator_id")
    return AccountView(account, rules.current_states(account, syncs))


def save(rt: Runtime, regulator_id: str, request: RegulatorRequest, now: datetime) -> AccountView:
    """A new version of the account (created when unknown, restored when removed), queued for every
    level-2 editor of the territory."""
    rules.identifier_of(request)  # before anything is read: the request alone is wrong
    previous, _ = rt.regulation.load_account(regulator_id)
    account = rules.saved_account(regulator_id, request, previous, now)
    editors = _write(rt, account, previous)
    _enqueue(rt, account, editors)
    return read(rt, regulator_id)


def remove(
    rt: Runtime, regulator_id: str, now: datetime, transport: httpx.BaseTransport | None = None
) -> AccountView:
    """The account marked removed (a new version, inactive), sent at once to every level-2 editor; those
    that could not be reached are queued for retries."""
    previous, _ = rt.regulation.load_account(regulator_id)
    if previous is None:
        raise NotFound(f"no regulator account {regulator_id}", field="regulator_id")
    account = rules.removed_account(previous, now)
    editors = _write(rt, account, previous)
    if editors:
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_SENDS, len(editors))) as pool:
            retried = list(pool.map(lambda editor: _send_now(rt, account, editor, transport), editors))
        _enqueue(rt, account, [editor for editor, again in zip(editors, retried, strict=True) if again])
    return read(rt, regulator_id)


def _write(rt: Runtime, account: RegulatorAccount, previous: RegulatorAccount | None) -> list[str]:
    """The account's new version and every receiving editor's `pending` state of it; their ids."""
    editors = [editor.id for editor in rules.receiving_editors(rt.territory.editors)]
    try:
        rt.regulation.save_account_version(account, previous.version if previous else 0, editors)
    except StaleWrite:
        raise Conflict(
            "the account was changed at the same time: read it and try again", field="regulator_id"
        ) from None
    return editors


def _enqueue(rt: Runtime, account: RegulatorAccount, editor_ids: list[str]) -> None:
    bodies = [
        SyncMessage(
            regulator_id=account.regulator_id, editor_id=editor_id, version=account.version
        ).model_dump_json()
        for editor_id in editor_ids
    ]
    refused = rt.queues.send_all(REGULATOR_SYNC, bodies) if bodies else []
    if refused:
        names = [editor_ids[index] for index in refused]
        logger.error(
            "regulator sync not queued", extra={"regulator_id": account.regulator_id, "editors": names}
        )
        raise UpstreamUnavailable(
            f"the account was saved but could not be queued for {', '.join(names)}: send it again"
        )


def _send_now(
    rt: Runtime, account: RegulatorAccount, editor_id: str, transport: httpx.BaseTransport | None
) -> bool:
    """Send the version now; True when the editor could not be reached (to retry through the queue)."""
    try:
        deliver(rt, account.regulator_id, editor_id, account.version, transport)
    except SyncRetry:
        return True
    return False


def sync_message(rt: Runtime, body: str, transport: httpx.BaseTransport | None = None) -> EditorSync | None:
    """The consumer's work for one queued message: a message that is not ours is dropped (logged), a
    retry cannot fix it; SyncRetry fails it."""
    try:
        message = SyncMessage.model_validate_json(body)
    except ValidationError as error:
        logger.error("regulator sync message dropped", extra={"reason": str(error)[:300]})
        return None
    return deliver(rt, message.regulator_id, message.editor_id, message.version, transport)


def deliver(
    rt: Runtime,
    regulator_id: str,
    editor_id: str,
    version: int,
    transport: httpx.BaseTransport | None = None,
) -> EditorSync | None:
    """Send `version` of the account to the editor and settle its state; None when there was nothing to
    do (an older version, or a state already settled). SyncRetry when a retry may succeed."""
    account, syncs = rt.regulation.load_account(regulator_id)
    sync = next((found for found in syncs if found.editor_id == editor_id), None)
    if account is None or sync is None or not rules.is_due(version, account, sync):
        logger.info(
            "regulator sync dropped: not the current version, or already settled",
            extra={"regulator_id": regulator_id, "editor_id": editor_id, "version": version},
        )
        return None
    editor = rt.territory.editor(editor_id)
    if editor is None or not rules.receives(editor):
        outcome = EditorSync(
            editor_id,
            version,
            SyncState.FAILED,
            at=_now(),
            reason="no longer a level-2 editor of the territory",
        )
    else:
        outcome = _outcome(rt, account, sync, editor, transport)
    rt.regulation.settle_sync(regulator_id, version, outcome)
    logger.info(
        "regulator synced" if outcome.state is SyncState.SYNCED else "regulator sync refused",
        extra={
            "regulator_id": regulator_id,
            "editor_id": editor_id,
            "version": version,
            "reason": outcome.reason,
        },
    )
    return outcome


def _outcome(
    rt: Runtime,
    account: RegulatorAccount,
    sync: EditorSync,
    editor: EditorConfig,
    transport: httpx.BaseTransport | None,
) -> EditorSync:
    """The editor's answer as the state to record; SyncRetry (the attempt recorded) when a retry may help."""
    try:
        response = _send(editor, account, rules.first_send(sync), transport)
    except (httpx.TimeoutException, httpx.TransportError, EditorUnavailable) as exc:
        _retry(rt, account, editor.id, exc.__class__.__name__)
    verdict = rules.verdict(response.status_code)
    if verdict is rules.Verdict.RETRY:
        _retry(rt, account, editor.id, f"HTTP {response.status_code}")
    if verdict is rules.Verdict.SYNCED:
        return EditorSync(
            editor.id, account.version, SyncState.SYNCED, at=_now(), editor_status=response.status_code
        )
    return EditorSync(
        editor.id,
        account.version,
        SyncState.FAILED,
        at=_now(),
        editor_status=response.status_code,
        reason=rules.refusal(response.status_code, _json(response), response.text),
    )


def _retry(rt: Runtime, account: RegulatorAccount, editor_id: str, error: str) -> NoReturn:
    rt.regulation.record_sync_attempt(account.regulator_id, editor_id, account.version, error)
    raise SyncRetry(f"{editor_id}: {error}")


def _send(
    editor: EditorConfig, account: RegulatorAccount, first: bool, transport: httpx.BaseTransport | None
) -> httpx.Response:
    """One POST (first send) or conditional PUT of the account's Practitioner, with the editor's timeouts
    and client certificate (sas_common.ingest.client.make_client)."""
    practitioner = regulator_practitioner(
        account.identifier,
        family_name=account.family_name,
        given_name=account.given_name,
        email=account.email,
        active=account.sent_active,
    )
    url = str(editor.fhir_base_url).rstrip("/") + "/Practitioner"
    headers = {"Content-Type": FHIR_JSON}
    with make_client(editor, transport) as http:
        if first:
            return http.post(url, json=practitioner, headers=headers)
        search = {"identifier": identifier_search(account.identifier)}
        return http.put(url, params=search, json=practitioner, headers=headers)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
