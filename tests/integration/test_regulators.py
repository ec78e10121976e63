"""Regulator accounts sent to level-2 editors (flow INT_R02), over HTTP on the local platform: the admin's
routes, the `regulator_sync` queue drained through its consumer, and the FHIR test doubles standing in for
the territory's editors (two level-2, one level-1 that must receive nothing)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from sas_common.errors import StaleWrite
from sas_common.fhir.codes import SAS_TECHNICAL_ID_SYSTEM
from sas_common.fhir.resources import MODELS
from sas_common.identifiers import NATIONAL_ID_SYSTEM
from sas_common.queues import REGULATOR_SYNC
from sas_common.regulators.model import EditorSync, SyncState
from sas_common.runtime import Runtime
from sas_common.settings import Settings
from sas_common.territory import EditorConfig, EditorLevel
from sas_local.event_sources import sqs_event
from sas_local.fhir_editor import FakeEditor
from sas_local.functions import consumer_function_name
from sas_local.gateway import HttpResponse
from sas_local.platform import LocalPlatform
from support import Client, editor_like_demo

NATIONAL = "810109876543"
TECHNICAL = "0f8fad5b-d9cb-469f-a165-70867728950e"
SOURCE = "urn:oid:1.2.250.1.213.3.6"


@dataclass
class Editors:
    first: EditorConfig
    second: EditorConfig
    level_one: EditorConfig


@pytest.fixture(scope="module")
def second_double() -> Iterator[FakeEditor]:
    with FakeEditor() as double:
        yield double


@pytest.fixture(scope="module")
def level_one_double() -> Iterator[FakeEditor]:
    with FakeEditor() as double:
        yield double


@pytest.fixture
def other(second_double: FakeEditor) -> FakeEditor:
    second_double.clear()
    return second_double


@pytest.fixture
def editors(
    rt: Runtime,
    fake: FakeEditor,
    other: FakeEditor,
    level_one_double: FakeEditor,
    monkeypatch: pytest.MonkeyPatch,
) -> Editors:
    """The territory's editors for one test: two level-2 editors (fast timeouts) and a level-1 one."""
    level_one_double.clear()
    found = Editors(
        editor_like_demo(rt, fake.base_url, read_timeout_seconds=1),
        editor_like_demo(rt, other.base_url, read_timeout_seconds=1),
        editor_like_demo(rt, level_one_double.base_url, level=EditorLevel.SLOTS_ONLY),
    )
    territory = rt.territory.model_copy(update={"editors": [found.first, found.second, found.level_one]})
    monkeypatch.setattr(Settings, "territory", property(lambda _self: territory))
    return found


@pytest.fixture(autouse=True)
def empty_queue(rt: Runtime) -> Iterator[None]:
    """Nothing a test leaves in the queue (or its dead letters) reaches another test (PurgeQueue is allowed
    once a minute: the messages are received and deleted)."""
    yield
    sqs = boto3.client("sqs")
    for url in (rt.settings.queue_url(REGULATOR_SYNC), dead_letters_url()):
        while received := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in received:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def immediate_retries(rt: Runtime) -> Iterator[None]:
    """A failed message visible again at once (instead of after 6 × the consumer's timeout), so one drain
    goes through its retries as SQS would over minutes."""
    sqs = boto3.client("sqs")
    url = rt.settings.queue_url(REGULATOR_SYNC)
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "0"})
    yield
    sqs.set_queue_attributes(QueueUrl=url, Attributes=before)


def dead_letters_url() -> str:
    name = REGULATOR_SYNC.dead_letter_name.replace("_", "-")
    [url] = [url for url in boto3.client("sqs").list_queues()["QueueUrls"] if url.endswith(name)]
    return url


def dead_letters() -> list[dict[str, Any]]:
    received = boto3.client("sqs").receive_message(QueueUrl=dead_letters_url(), MaxNumberOfMessages=10)
    return [json.loads(message["Body"]) for message in received.get("Messages", [])]


def admin(client: Client) -> str:
    return client.token("territory_admin", "admin-regulators")


def new_id() -> str:
    return f"reg-{uuid.uuid4().hex[:12]}"


def body(**fields: Any) -> dict[str, Any]:
    return {
        "national_id": NATIONAL,
        "family_name": "Durand",
        "given_name": "Anne",
        "email": "anne.durand@example.org",
        "active": True,
        **fields,
    }


def put(client: Client, regulator_id: str, payload: Any, token: str | None = None) -> HttpResponse:
    return client.request(
        "PUT", f"/regulators/{regulator_id}", json_body=payload, token=token or admin(client)
    )


def drain(platform: LocalPlatform) -> int:
    return platform.event_sources[REGULATOR_SYNC.logical_name].drain()


def states(answer: HttpResponse) -> dict[str, dict[str, Any]]:
    assert answer.status == 200, answer.body
    return {state["editor_id"]: state for state in answer.json()["editors"]}


def read(client: Client, regulator_id: str) -> HttpResponse:
    return client.get(f"/regulators/{regulator_id}", token=admin(client))


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    MODELS["Practitioner"].model_validate(resource)
    return resource


# --- create, change, remove ---------------------------------------------------------------------------------


def test_a_new_account_is_queued_then_posted_to_each_level_2_editor(
    client: Client,
    platform: LocalPlatform,
    fake: FakeEditor,
    other: FakeEditor,
    level_one_double: FakeEditor,
    editors: Editors,
) -> None:
    regulator = new_id()

    saved = put(client, regulator, body())

    assert saved.status == 200, saved.body
    answer = saved.json()
    assert (answer["regulator_id"], answer["national_id"], answer["version"]) == (regulator, NATIONAL, 1)
    assert (answer["active"], answer["removed"]) == (True, False)
    assert "technical_id" not in answer
    assert {editor: state["state"] for editor, state in states(saved).items()} == {
        editors.first.id: "pending",
        editors.second.id: "pending",
    }
    assert (fake.practitioners, other.practitioners) == ([], [])  # queued, not sent yet

    assert drain(platform) == 2

    for double in (fake, other):
        [sent] = double.practitioners
        assert (sent.method, sent.identifier) == ("POST", None)
        practitioner = valid(sent.resource)
        assert practitioner["meta"] == {"source": SOURCE}
        assert practitioner["identifier"][0]["system"] == NATIONAL_ID_SYSTEM
        assert practitioner["identifier"][0]["value"] == NATIONAL
        assert practitioner["identifier"][0]["type"]["coding"][0]["code"] == "IDNPS"
        assert practitioner["active"] is True
        assert practitioner["name"] == [{"family": "Durand", "given": ["Anne"]}]
        assert practitioner["telecom"] == [{"system": "email", "value": "anne.durand@example.org"}]
    assert level_one_double.requests == []
    for state in states(read(client, regulator)).values():
        assert (state["state"], state["editor_status"], state["attempts"]) == ("synced", 201, 1)
        assert state["at"]


def test_an_account_with_a_technical_id_is_sent_with_it(
    client: Client, platform: LocalPlatform, fake: FakeEditor, editors: Editors
) -> None:
    regulator = new_id()
    saved = put(client, regulator, body(national_id=None, technical_id=TECHNICAL, email=None))
    assert saved.status == 200, saved.body
    assert (saved.json()["technical_id"], "national_id" in saved.json()) == (TECHNICAL, False)

    drain(platform)

    [sent] = fake.practitioners
    [identifier] = valid(sent.resource)["identifier"]
    assert (identifier["system"], identifier["value"]) == (SAS_TECHNICAL_ID_SYSTEM, TECHNICAL)
    assert identifier["type"]["coding"][0]["code"] == "INTRN"
    assert "telecom" not in sent.resource


def test_a_change_is_put_on_the_identifier(
    client: Client, platform: LocalPlatform, fake: FakeEditor, other: FakeEditor, editors: Editors
) -> None:
    regulator = new_id()
    put(client, regulator, body())
    drain(platform)

    changed = put(client, regulator, body(given_name="Anne-Marie", active=False))

    assert (changed.status, changed.json()["version"]) == (200, 2)
    assert {state["state"] for state in states(changed).values()} == {"pending"}
    drain(platform)
    for double in (fake, other):
        first, second = double.practitioners
        assert (first.method, second.method) == ("POST", "PUT")
        assert second.identifier == f"{NATIONAL_ID_SYSTEM}|{NATIONAL}"
        assert valid(second.resource)["name"] == [{"family": "Durand", "given": ["Anne-Marie"]}]
        assert second.resource["active"] is False
    assert {(s["state"], s["editor_status"]) for s in states(read(client, regulator)).values()} == {
        ("synced", 200)
    }


def test_a_removal_is_sent_at_once_as_an_inactive_practitioner(
    client: Client, platform: LocalPlatform, fake: FakeEditor, other: FakeEditor, editors: Editors
) -> None:
    regulator = new_id()
    put(client, regulator, body())
    drain(platform)

    removed = client.request("DELETE", f"/regulators/{regulator}", token=admin(client))

    assert removed.status == 200, removed.body
    answer = removed.json()
    assert (answer["removed"], answer["version"]) == (True, 2)
    assert {(s["state"], s["editor_status"]) for s in states(removed).values()} == {("synced", 200)}
    for double in (fake, other):
        sent = double.practitioners[-1]
        assert (sent.method, sent.identifier) == ("PUT", f"{NATIONAL_ID_SYSTEM}|{NATIONAL}")
        assert valid(sent.resource)["active"] is False
    assert drain(platform) == 0  # nothing was queued
    assert read(client, regulator).json()["removed"] is True


def test_a_removal_an_editor_cannot_take_now_is_retried_through_the_queue(
    client: Client,
    platform: LocalPlatform,
    fake: FakeEditor,
    other: FakeEditor,
    editors: Editors,
    immediate_retries: None,
) -> None:
    regulator = new_id()
    put(client, regulator, body())
    drain(platform)
    fake.fail_with(503, times=1)

    removed = client.request("DELETE", f"/regulators/{regulator}", token=admin(client))

    answered = states(removed)
    assert (answered[editors.second.id]["state"], other.practitioners[-1].resource["active"]) == (
        "synced",
        False,
    )
    first = answered[editors.first.id]
    assert (first["state"], first["attempts"], first["last_error"]) == ("pending", 1, "HTTP 503")
    assert drain(platform) == 1
    settled = states(read(client, regulator))[editors.first.id]
    assert (settled["state"], settled["attempts"], "last_error" in settled) == ("synced", 2, False)
    assert fake.practitioners[-1].resource["active"] is False


def test_saving_a_removed_account_restores_it(
    client: Client, platform: LocalPlatform, fake: FakeEditor, editors: Editors
) -> None:
    regulator = new_id()
    put(client, regulator, body())
    drain(platform)
    client.request("DELETE", f"/regulators/{regulator}", token=admin(client))

    restored = put(client, regulator, body())

    assert (restored.json()["removed"], restored.json()["version"]) == (False, 3)
    drain(platform)
    assert fake.practitioners[-1].resource["active"] is True


# --- editors failing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["503", "429", "timeout"])
def test_an_editor_unavailable_once_is_synced_after_the_retry(
    client: Client,
    platform: LocalPlatform,
    fake: FakeEditor,
    other: FakeEditor,
    editors: Editors,
    immediate_retries: None,
    fault: str,
) -> None:
    if fault == "timeout":
        fake.delay(1.5, times=1)
    else:
        fake.fail_with(int(fault), times=1)
    regulator = new_id()
    put(client, regulator, body())

    assert drain(platform) == 3  # the failed message came back once

    first = states(read(client, regulator))[editors.first.id]
    assert (first["state"], first["attempts"], first["editor_status"]) == ("synced", 2, 201)
    methods = [sent.method for sent in fake.practitioners]
    if fault == "timeout":  # the timed-out POST may land too, before or after the retry: never two creates
        assert sorted(methods) in (["PUT"], ["POST", "PUT"])
    else:  # the retry is a conditional PUT: the failed attempt might have reached the editor
        assert methods == ["PUT"]
    assert dead_letters() == []


def test_an_editor_down_leaves_the_state_pending_and_the_message_in_the_dead_letters(
    client: Client,
    platform: LocalPlatform,
    fake: FakeEditor,
    editors: Editors,
    immediate_retries: None,
) -> None:
    fake.fail_with(503)
    regulator = new_id()
    put(client, regulator, body())

    drain(platform)

    first = states(read(client, regulator))[editors.first.id]
    assert (first["state"], first["attempts"], first["last_error"]) == (
        "pending",
        REGULATOR_SYNC.max_receive_count,
        "HTTP 503",
    )
    assert dead_letters() == [{"regulator_id": regulator, "editor_id": editors.first.id, "version": 1}]


def test_an_editor_refusing_the_account_ends_failed_with_its_reason(
    client: Client, platform: LocalPlatform, fake: FakeEditor, other: FakeEditor, editors: Editors
) -> None:
    fake.fail_with(422, times=1)
    regulator = new_id()
    put(client, regulator, body())

    assert drain(platform) == 2  # not retried

    found = states(read(client, regulator))
    refused = found[editors.first.id]
    assert (refused["state"], refused["attempts"], refused["editor_status"]) == ("failed", 1, 422)
    assert refused["reason"] == "HTTP 422: the editor is failing (422)"
    assert refused["at"]
    assert found[editors.second.id]["state"] == "synced"
    assert fake.practitioners == []


def test_saving_again_retries_a_failed_editor(
    client: Client, platform: LocalPlatform, fake: FakeEditor, editors: Editors
) -> None:
    fake.fail_with(400, times=1)
    regulator = new_id()
    put(client, regulator, body())
    drain(platform)

    again = put(client, regulator, body())

    assert "reason" not in states(again)[editors.first.id]
    drain(platform)
    [sent] = fake.practitioners
    assert sent.method == "POST"  # the editor never accepted it: a create again, not an update
    assert states(read(client, regulator))[editors.first.id]["state"] == "synced"


# --- stale and repeated messages ----------------------------------------------------------------------------


def consume(platform: LocalPlatform, *messages: dict[str, Any]) -> dict[str, Any]:
    """The consumer invoked with these messages, as the event source would."""
    records = [
        {"MessageId": f"m{n}", "ReceiptHandle": f"r{n}", "Body": json.dumps(message), "Attributes": {}}
        for n, message in enumerate(messages)
    ]
    answer: dict[str, Any] = platform.invoke(
        consumer_function_name(REGULATOR_SYNC), sqs_event(records, "arn:aws:sqs:::regulator-sync")
    )
    return answer


def test_a_stale_message_does_not_overwrite_a_newer_state(
    client: Client, platform: LocalPlatform, fake: FakeEditor, editors: Editors
) -> None:
    regulator = new_id()
    put(client, regulator, body(given_name="First"))
    put(client, regulator, body(given_name="Second"))  # version 2 before version 1 was sent

    assert drain(platform) == 4

    [sent] = fake.practitioners  # version 1's message was dropped
    assert (sent.method, sent.resource["name"][0]["given"]) == ("POST", ["Second"])
    settled = states(read(client, regulator))[editors.first.id]
    assert settled["state"] == "synced"

    late = {"regulator_id": regulator, "editor_id": editors.first.id, "version": 1}
    repeated = {**late, "version": 2}
    assert consume(platform, late, repeated) == {"batchItemFailures": []}

    assert len(fake.practitioners) == 1
    assert states(read(client, regulator))[editors.first.id] == settled


def test_a_late_answer_never_settles_a_newer_version(
    client: Client, rt: Runtime, platform: LocalPlatform, editors: Editors
) -> None:
    """The race `is_due` cannot see: version 2 saved while version 1 was being sent. The store writes an
    answer only while the state is pending for the version answered."""
    regulator = new_id()
    put(client, regulator, body())
    put(client, regulator, body(given_name="Newer"))
    late = EditorSync(editors.first.id, 1, SyncState.SYNCED, at=datetime.now(UTC), editor_status=201)

    assert rt.regulation.settle_sync(regulator, 1, late) is False
    assert rt.regulation.record_sync_attempt(regulator, editors.first.id, 1, "HTTP 503") is False

    pending = states(read(client, regulator))[editors.first.id]
    assert (pending["state"], pending["attempts"]) == ("pending", 0)


def test_a_save_on_a_version_already_replaced_is_refused(
    client: Client, rt: Runtime, editors: Editors
) -> None:
    regulator = new_id()
    put(client, regulator, body())
    account, _ = rt.regulation.load_account(regulator)
    assert account is not None
    concurrent = replace(account, given_name="Concurrent", version=2)

    for read_version in (0, 2):  # as if it had read no account, or another version
        with pytest.raises(StaleWrite):
            rt.regulation.save_account_version(concurrent, read_version, [editors.first.id])

    assert read(client, regulator).json()["given_name"] == "Anne"
    rt.regulation.save_account_version(concurrent, 1, [editors.first.id])
    assert read(client, regulator).json()["given_name"] == "Concurrent"


def test_a_message_that_is_not_ours_is_dropped_not_retried(
    platform: LocalPlatform, fake: FakeEditor, editors: Editors
) -> None:
    assert consume(platform, {"not": "ours"}, {"regulator_id": "nobody", "editor_id": "x", "version": 1}) == {
        "batchItemFailures": []
    }
    assert fake.requests == []


def test_a_failing_message_fails_alone(
    client: Client, platform: LocalPlatform, fake: FakeEditor, other: FakeEditor, editors: Editors
) -> None:
    regulator = new_id()
    put(client, regulator, body())
    fake.fail_with(503)

    answer = consume(
        platform,
        {"regulator_id": regulator, "editor_id": editors.first.id, "version": 1},
        {"regulator_id": regulator, "editor_id": editors.second.id, "version": 1},
    )

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert len(other.practitioners) == 1


# --- who may, and what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["regulator", "effecteur", "structure_manager"])
@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
def test_only_a_territory_admin_manages_accounts(
    client: Client, editors: Editors, fake: FakeEditor, role: str, method: str
) -> None:
    token = client.token(role, NATIONAL if role != "structure_manager" else "manager", structure_id="s1")
    regulator = new_id()

    answer = client.request(
        method, f"/regulators/{regulator}", token=token, json_body=body() if method == "PUT" else None
    )

    assert answer.status == 403, answer.body
    assert read(client, regulator).status == 404
    assert fake.requests == []


def test_a_token_is_required(client: Client) -> None:
    assert client.get(f"/regulators/{new_id()}").status == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"family_name": "Durand", "active": True}, "national_id"),
        (body(technical_id=TECHNICAL), "technical_id"),
        (body(national_id="81010987654"), "national_id"),
        (body(national_id=None, technical_id="not-a-uuid"), "technical_id"),
        (body(family_name=""), "family_name"),
        (body(family_name="x" * 101), "family_name"),
        (body(given_name="y" * 101), "given_name"),
        (body(email="nope"), "email"),
        (body(active=None), "active"),
        ({k: v for k, v in body().items() if k != "active"}, "active"),
        (body(role="admin"), "role"),
        ([], None),
    ],
    ids=[
        "no-identifier",
        "two-identifiers",
        "national-id-shape",
        "technical-id-shape",
        "family-empty",
        "family-too-long",
        "given-too-long",
        "email",
        "active-null",
        "active-missing",
        "unknown-field",
        "not-an-object",
    ],
)
def test_a_bad_body_is_refused_naming_its_field(
    client: Client, editors: Editors, fake: FakeEditor, payload: Any, field: str | None
) -> None:
    regulator = new_id()

    answer = put(client, regulator, payload)

    assert answer.status == 422, answer.body
    assert answer.json()["field"] == field
    assert read(client, regulator).status == 404  # nothing stored
    assert fake.requests == []


def test_malformed_json_is_a_400(client: Client, editors: Editors) -> None:
    answer = client.request(
        "PUT",
        f"/regulators/{new_id()}",
        body=b"{not json",
        headers={"content-type": "application/json"},
        token=admin(client),
    )
    assert answer.status == 400, answer.body


def test_an_account_keeps_its_identifier(client: Client, platform: LocalPlatform, editors: Editors) -> None:
    regulator = new_id()
    put(client, regulator, body())

    answer = put(client, regulator, body(national_id="810109876544"))

    assert answer.status == 422, answer.body
    assert (answer.json()["field"], answer.json()["rule"]) == ("national_id", "identifier_immutable")
    assert read(client, regulator).json()["version"] == 1


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_an_unknown_account_is_a_404(client: Client, editors: Editors, method: str) -> None:
    answer = client.request(method, f"/regulators/{new_id()}", token=admin(client))
    assert (answer.status, answer.json()["field"]) == (404, "regulator_id")


def test_a_malformed_regulator_id_is_a_422(client: Client, editors: Editors) -> None:
    answer = client.get("/regulators/" + "x" * 65, token=admin(client))
    assert (answer.status, answer.json()["field"]) == (422, "regulator_id")
