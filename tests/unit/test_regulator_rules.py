"""Regulator accounts (flow INT_R02): the request's bounds, the account's identifier and versions, which
editors receive it, whether a queued message is still due, what an editor's answer means, and the
Practitioner sent (national id vs technical id, active vs inactive)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from sas_common.errors import RuleViolation
from sas_common.fhir.codes import IDENTIFIER_TYPE_SYSTEM, SAS_TECHNICAL_ID_SYSTEM
from sas_common.fhir.practitioner import PLATFORM_SOURCE, identifier_search, regulator_practitioner
from sas_common.fhir.resources import MODELS, UnreadableResource, read_resource
from sas_common.identifiers import NATIONAL_ID_SYSTEM
from sas_common.regulators import rules
from sas_common.regulators.model import (
    EMAIL_MAX,
    NAME_MAX,
    EditorSync,
    RegulatorAccount,
    RegulatorRequest,
    SyncMessage,
    SyncState,
)
from sas_common.regulators.rules import Verdict
from sas_common.territory import EditorConfig

NATIONAL = "810101234567"
TECHNICAL = "7d0c3f3e-2a4b-4c1e-9a57-3b8e2f0c1d2a"
NOW = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
LATER = datetime(2025, 3, 11, 8, 0, tzinfo=UTC)


def request(**fields: Any) -> RegulatorRequest:
    return RegulatorRequest.model_validate({"family_name": "Durand", "active": True, **fields})


def account(**fields: Any) -> RegulatorAccount:
    values: dict[str, Any] = {
        "regulator_id": "reg-1",
        "identifier": NATIONAL,
        "family_name": "Durand",
        "given_name": "Anne",
        "email": "anne.durand@example.org",
        "active": True,
        "removed": False,
        "version": 3,
        "updated_at": NOW,
        **fields,
    }
    return RegulatorAccount(**values)


def editor(editor_id: str, level: int) -> EditorConfig:
    return EditorConfig.model_validate(
        {
            "id": editor_id,
            "name": editor_id,
            "kind": "ps",
            "level": level,
            "fhir_base_url": "https://editor.example/fhir",
            "poll_every_minutes": 5,
        }
    )


# --- the request's bounds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"national_id": NATIONAL},
        {"national_id": "0123456789"},  # 0 + ADELI
        {"technical_id": TECHNICAL},
        {"technical_id": TECHNICAL.upper()},
        {"national_id": NATIONAL, "family_name": "x" * NAME_MAX, "given_name": "y" * NAME_MAX},
        {"national_id": NATIONAL, "email": "a@" + "b" * (EMAIL_MAX - 6) + ".org"},
        {"national_id": NATIONAL, "active": False},
    ],
    ids=["rpps", "adeli", "technical", "technical-upper", "longest-names", "longest-email", "inactive"],
)
def test_a_well_formed_request_is_read(fields: dict[str, Any]) -> None:
    read = request(**fields)
    assert read.family_name == fields.get("family_name", "Durand")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"national_id": "81010123456"}, "national_id"),  # 11 digits
        ({"national_id": "910101234567"}, "national_id"),  # neither 8 nor 0 first
        ({"national_id": 810101234567}, "national_id"),  # a number, not a string
        ({"technical_id": "not-a-uuid"}, "technical_id"),
        ({"technical_id": TECHNICAL + "0"}, "technical_id"),
        ({"family_name": ""}, "family_name"),
        ({"family_name": "   "}, "family_name"),
        ({"family_name": "x" * (NAME_MAX + 1)}, "family_name"),
        ({"given_name": "y" * (NAME_MAX + 1)}, "given_name"),
        ({"email": "not an e-mail"}, "email"),
        ({"email": "a@" + "b" * (EMAIL_MAX - 5) + ".org"}, "email"),
        ({"active": "maybe"}, "active"),
        ({"phone": "+33600000000"}, "phone"),
    ],
    ids=[
        "national-11-digits",
        "national-prefix",
        "national-number",
        "technical-shape",
        "technical-too-long",
        "family-empty",
        "family-blank",
        "family-too-long",
        "given-too-long",
        "email-shape",
        "email-too-long",
        "active-not-bool",
        "unknown-field",
    ],
)
def test_a_malformed_request_names_its_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        request(**fields)
    assert [error["loc"][0] for error in raised.value.errors()] == [field]


@pytest.mark.parametrize("missing", ["family_name", "active"])
def test_family_name_and_active_are_required(missing: str) -> None:
    fields = {"family_name": "Durand", "active": True, "national_id": NATIONAL}
    del fields[missing]
    with pytest.raises(ValidationError) as raised:
        RegulatorRequest.model_validate(fields)
    assert [error["loc"][0] for error in raised.value.errors()] == [missing]


# --- the identifier -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "identifier", "field"),
    [
        ({"national_id": NATIONAL}, NATIONAL, None),
        ({"technical_id": TECHNICAL}, TECHNICAL, None),
        ({"national_id": NATIONAL, "technical_id": TECHNICAL}, None, "technical_id"),
        ({}, None, "national_id"),
    ],
    ids=["national", "technical", "both", "neither"],
)
def test_an_account_has_exactly_one_identifier(
    fields: dict[str, Any], identifier: str | None, field: str | None
) -> None:
    if identifier is not None:
        assert rules.identifier_of(request(**fields)) == identifier
        return
    with pytest.raises(RuleViolation) as raised:
        rules.identifier_of(request(**fields))
    assert (raised.value.field, raised.value.rule) == (field, "one_identifier")


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"national_id": "810101234568"}, "national_id"), ({"technical_id": TECHNICAL}, "technical_id")],
    ids=["other-national-id", "technical-instead"],
)
def test_an_account_keeps_its_identifier(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleViolation) as raised:
        rules.saved_account("reg-1", request(**fields), account(), LATER)
    assert (raised.value.field, raised.value.rule) == (field, "identifier_immutable")


# --- versions -----------------------------------------------------------------------------------------------


def test_a_first_save_is_version_1() -> None:
    saved = rules.saved_account("reg-1", request(technical_id=TECHNICAL, given_name="Léa"), None, NOW)
    assert saved == RegulatorAccount(
        regulator_id="reg-1",
        identifier=TECHNICAL,
        family_name="Durand",
        given_name="Léa",
        email=None,
        active=True,
        removed=False,
        version=1,
        updated_at=NOW,
    )


def test_a_save_is_the_next_version_and_restores_a_removed_account() -> None:
    saved = rules.saved_account(
        "reg-1", request(national_id=NATIONAL, active=False), account(removed=True, version=7), LATER
    )
    assert (saved.version, saved.removed, saved.active, saved.updated_at) == (8, False, False, LATER)
    assert (saved.given_name, saved.email) == (None, None)  # what the request says, not what was stored


def test_a_removal_is_the_next_version_inactive() -> None:
    removed = rules.removed_account(account(version=4), LATER)
    assert removed == replace(account(), active=False, removed=True, version=5, updated_at=LATER)
    assert removed.sent_active is False


@pytest.mark.parametrize(
    ("active", "removed", "sent"),
    [(True, False, True), (False, False, False), (True, True, False), (False, True, False)],
)
def test_editors_are_told_active_only_while_active_and_not_removed(
    active: bool, removed: bool, sent: bool
) -> None:
    assert account(active=active, removed=removed).sent_active is sent


# --- who receives it, and when a message is still due -------------------------------------------------------


def test_only_level_2_editors_receive_accounts_by_id() -> None:
    editors = [editor("zed", 2), editor("alpha", 1), editor("beta", 2)]
    assert [found.id for found in rules.receiving_editors(editors)] == ["beta", "zed"]


def sync(**fields: Any) -> EditorSync:
    return EditorSync(**{"editor_id": "e1", "version": 3, "state": SyncState.PENDING, **fields})


@pytest.mark.parametrize(
    ("version", "stored", "state", "due"),
    [
        (3, account(), sync(), True),
        (2, account(), sync(), False),  # a newer version was saved: its own message sends it
        (4, account(), sync(), False),
        (3, None, sync(), False),
        (3, account(), None, False),
        (3, account(), sync(version=2), False),
        (3, account(), sync(state=SyncState.SYNCED), False),  # delivered twice
        (3, account(), sync(state=SyncState.FAILED), False),
    ],
    ids=["current", "older", "newer", "no-account", "no-state", "state-older", "synced", "failed"],
)
def test_a_message_is_due_only_for_the_current_pending_version(
    version: int, stored: RegulatorAccount | None, state: EditorSync | None, due: bool
) -> None:
    assert rules.is_due(version, stored, state) is due


@pytest.mark.parametrize(
    ("known", "attempts", "first"), [(False, 0, True), (True, 0, False), (False, 1, False), (True, 2, False)]
)
def test_post_once_then_put_on_the_identifier(known: bool, attempts: int, first: bool) -> None:
    """A retry PUTs: the attempt that failed (a timeout) may have created the account at the editor."""
    assert rules.first_send(sync(known=known, attempts=attempts)) is first


def test_the_states_shown_are_the_current_versions() -> None:
    states = [sync(editor_id="b"), sync(editor_id="gone", version=2), sync(editor_id="a")]
    assert [found.editor_id for found in rules.current_states(account(), states)] == ["a", "b"]


# --- the editor's answer ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.SYNCED),
        (201, Verdict.SYNCED),
        (204, Verdict.SYNCED),
        (299, Verdict.SYNCED),
        (199, Verdict.FAILED),
        (300, Verdict.FAILED),
        (301, Verdict.FAILED),
        (400, Verdict.FAILED),
        (404, Verdict.FAILED),
        (409, Verdict.FAILED),
        (422, Verdict.FAILED),
        (428, Verdict.FAILED),
        (429, Verdict.RETRY),
        (499, Verdict.FAILED),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (599, Verdict.RETRY),
    ],
)
def test_what_an_editor_answer_means(status: int, verdict: Verdict) -> None:
    assert rules.verdict(status) is verdict


def outcome(*issues: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


@pytest.mark.parametrize(
    ("body", "text", "reason"),
    [
        (
            outcome({"code": "invalid", "diagnostics": "identifier unknown"}, {"code": "required"}),
            "",
            "HTTP 422: identifier unknown; required",
        ),
        (outcome({"code": "business-rule"}), "", "HTTP 422: business-rule"),
        (outcome(), "raw", "HTTP 422: raw"),
        (outcome({"severity": "error"}), "", "HTTP 422: no reason given"),
        ({"issue": "not a list"}, "text", "HTTP 422: text"),
        ({"issue": ["not an issue"]}, "text", "HTTP 422: text"),
        (None, "  <html>Bad request</html>\n", "HTTP 422: <html>Bad request</html>"),
        (["a list"], "", "HTTP 422: no reason given"),
    ],
    ids=[
        "diagnostics",
        "code-only",
        "no-issue",
        "empty-issue",
        "issue-not-list",
        "issue-not-dict",
        "text",
        "list",
    ],
)
def test_a_refusal_says_what_the_editor_said(body: Any, text: str, reason: str) -> None:
    assert rules.refusal(422, body, text) == reason


def test_a_refusal_is_bounded() -> None:
    reason = rules.refusal(400, outcome({"diagnostics": "x" * 1000}), "")
    assert len(reason) == rules.REASON_MAX == 300
    assert reason.startswith("HTTP 400: xxx")


# --- the Practitioner sent ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "system", "type_code"),
    [(NATIONAL, NATIONAL_ID_SYSTEM, "IDNPS"), (TECHNICAL, SAS_TECHNICAL_ID_SYSTEM, "INTRN")],
    ids=["national-id", "technical-id"],
)
@pytest.mark.parametrize("active", [True, False], ids=["active", "inactive"])
def test_the_practitioner_sent(identifier: str, system: str, type_code: str, active: bool) -> None:
    sent = regulator_practitioner(
        identifier, family_name="Durand", given_name="Anne", email="anne@example.org", active=active
    )
    assert sent == {
        "resourceType": "Practitioner",
        "meta": {"source": "urn:oid:1.2.250.1.213.3.6"},
        "identifier": [
            {
                "system": system,
                "value": identifier,
                "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": type_code}]},
            }
        ],
        "active": active,
        "name": [{"family": "Durand", "given": ["Anne"]}],
        "telecom": [{"system": "email", "value": "anne@example.org"}],
    }
    assert PLATFORM_SOURCE == "urn:oid:1.2.250.1.213.3.6"
    assert read_resource(sent, MODELS["Practitioner"]).active is active
    assert identifier_search(identifier) == f"{system}|{identifier}"


def test_a_practitioner_without_given_name_nor_email() -> None:
    sent = regulator_practitioner(NATIONAL, family_name="Durand", given_name=None, email=None, active=True)
    assert sent["name"] == [{"family": "Durand"}]
    assert "telecom" not in sent


def test_an_unreadable_practitioner_is_never_sent() -> None:
    with pytest.raises(UnreadableResource):
        regulator_practitioner(NATIONAL, family_name="", given_name=None, email=None, active=True)


# --- the queue message --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"regulator_id": "reg-1", "editor_id": "e1", "version": 0},
        {"regulator_id": "reg 1", "editor_id": "e1", "version": 1},
        {"regulator_id": "reg-1", "editor_id": "E1", "version": 1},
        {"regulator_id": "reg-1", "editor_id": "e1"},
        {"regulator_id": "reg-1", "editor_id": "e1", "version": 1, "extra": True},
    ],
    ids=["version-0", "regulator-id-shape", "editor-id-shape", "no-version", "extra"],
)
def test_a_message_that_is_not_ours_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SyncMessage.model_validate(body)
