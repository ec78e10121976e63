"""Every route documents its answers: a success with its body's schema (or a 204), the access refusals of a
protected route, a body for every error; and the answer models give the bodies clients have always had."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, TypeAdapter

from agenda.answers import AgendaAnswer, DeclarationVersion, ResetPageAnswer, SeriesView, UnavailabilityAnswer
from ingest.answers import Appointment, OperationOutcome
from sas_common.agenda.model import OccurrenceChange, Schedule, Series
from sas_common.agenda.occurrences import Occurrence
from sas_common.agenda.unavailability import Period, Unavailability
from sas_common.errors import NotFound, RuleViolation
from sas_common.fhir.model import MappingResult
from sas_common.fhir.outcome import (
    IssueType,
    OutcomeIssue,
    Severity,
    error_outcome,
    mapping_outcome,
    operation_outcome,
)
from sas_common.orientations.appointments import as_fhir
from sas_common.participation.service import ResetPage
from sas_common.participation.versions import Saved
from sas_common.routes import ROUTES
from sas_common.slots.model import ConsultationType, SlotMode
from sas_local.openapi import build_document

DOCUMENT = build_document()
OPERATIONS = [
    pytest.param(path, method, operation, id=f"{method.upper()} {path}")
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
]
# Refusals `sas_local.openapi` describes itself (text only) on every protected route.
ACCESS = {"401", "403"}


def _schemas(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [media["schema"] for media in response.get("content", {}).values() if media.get("schema")]


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS)
def test_every_operation_documents_its_success_and_its_body(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    successes = {
        status: answer for status, answer in operation["responses"].items() if status.startswith("2")
    }
    assert successes, f"{method.upper()} {path} documents no success"
    for status, answer in successes.items():
        assert answer.get("description")
        assert status == "204" or _schemas(answer), f"{method.upper()} {path} {status}: no body schema"
        if status == "204":
            assert not _schemas(answer)


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS)
def test_every_error_an_operation_documents_has_a_body(
    path: str, method: str, operation: dict[str, Any]
) -> None:
    for status, answer in operation["responses"].items():
        if status[0] in "45" and status not in ACCESS:
            assert _schemas(answer), f"{method.upper()} {path} {status}: no body schema"


def test_every_route_is_documented_and_protected_ones_document_401_and_403() -> None:
    for route in ROUTES:
        operation = DOCUMENT["paths"][route.path][route.method.lower()]
        if route.protected:
            assert set(operation["responses"]) >= ACCESS, route.key


def test_json_success_bodies_are_named_schemas() -> None:
    """Every JSON success answer is a model of its own (a `$ref`), none a bare `object` any more."""
    for path, methods in DOCUMENT["paths"].items():
        if path in ("/openapi.json", "/docs"):
            continue
        for method, operation in methods.items():
            for status, answer in operation["responses"].items():
                if status.startswith("2") and status != "204":
                    assert all("$ref" in schema for schema in _schemas(answer)), f"{method} {path} {status}"


# --- the answers as powertools serialises them (no exclude_none) -------------------------------------------


def _served(model: type[BaseModel], value: BaseModel) -> Any:
    """What the resolver sends for a handler returning `value` as `model` (validated, then dumped)."""
    adapter = TypeAdapter(model)
    return adapter.dump_python(adapter.validate_python(value), mode="json", by_alias=True, exclude_none=False)


NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_a_place_without_unavailability_has_no_updated_at() -> None:
    assert _served(UnavailabilityAnswer, UnavailabilityAnswer.of("p1", None)) == {
        "place_id": "p1",
        "indefinite": False,
        "since": None,
        "periods": [],
    }


def test_a_place_unavailability_is_answered_as_stored() -> None:
    stored = Unavailability(
        place_id="p1",
        indefinite=True,
        since=NOW,
        periods=(Period.model_validate({"from": "2026-04-01", "to": "2026-04-03"}),),
        updated_at=NOW,
    )
    assert _served(UnavailabilityAnswer, UnavailabilityAnswer.of("p1", stored)) == stored.model_dump(
        mode="json"
    )


def test_a_declaration_version_names_its_reset_only_when_it_has_one() -> None:
    own = Saved("EFF#810000000001", 2, {"participates": True}, "2026-03-02T09:30:00Z", "user-1")
    reset = Saved(
        "EFF#810000000001", 3, {"participates": False}, "2026-03-02T10:00:00Z", "admin", "reset-0001"
    )
    assert _served(DeclarationVersion, DeclarationVersion.of(own)) == {
        "version": 2,
        "saved_at": "2026-03-02T09:30:00Z",
        "saved_by": "user-1",
        "declaration": {"participates": True},
    }
    assert _served(DeclarationVersion, DeclarationVersion.of(reset))["reset_id"] == "reset-0001"


def test_a_reset_page_answers_its_cursor_even_when_done() -> None:
    assert _served(ResetPageAnswer, ResetPageAnswer.of(ResetPage("r-00000001", 2, 5, None))) == {
        "reset_id": "r-00000001",
        "reset": 2,
        "seen": 5,
        "cursor": None,
        "done": True,
    }


def _series() -> Series:
    first = Schedule(
        effective_from=dt.date(2026, 3, 2),
        start="10:00",
        end="12:00",
        mode=SlotMode.SLOTS,
        slot_minutes=15,
        consultation_types=(ConsultationType.CABINET,),
        recurrence_weekdays=(0, 2),
    )
    return Series(
        id="a1",
        national_id="810000000001",
        place_id="p1",
        date=dt.date(2026, 3, 2),
        revisions=(
            first,
            first.model_copy(update={"effective_from": dt.date(2026, 3, 16), "start": "09:00"}),
        ),
        changes={
            dt.date(2026, 3, 4): OccurrenceChange(cancelled=True),
            dt.date(2026, 3, 9): OccurrenceChange(start="11:00"),
        },
        created_at=NOW,
        updated_at=NOW,
        updated_by="user-1",
    )


def test_a_series_is_answered_with_its_schedule_in_force_and_only_what_each_day_changed() -> None:
    """The body the agenda answered before its model: the series' fields but the owner, the schedule in force
    (without `effective_from`), every revision, and each day's change without its empty fields."""
    series = _series()
    served = _served(SeriesView, SeriesView.of(series, dt.date(2026, 3, 20)))
    expected = {
        **series.model_dump(mode="json", exclude={"revisions", "changes", "national_id"}),
        **series.revisions[1].model_dump(mode="json", exclude={"effective_from"}),
        "revisions": [revision.model_dump(mode="json") for revision in series.revisions],
        "changes": {"2026-03-04": {"cancelled": True}, "2026-03-09": {"cancelled": False, "start": "11:00"}},
    }
    assert served == expected


def test_agenda_instants_keep_their_offset_even_at_utc() -> None:
    occurrence = Occurrence(
        availability_id="a1",
        place_id="p1",
        date=dt.date(2026, 3, 2),
        start=datetime(2026, 3, 2, 10, tzinfo=UTC),
        end=datetime(2026, 3, 2, 12, tzinfo=UTC),
        mode=SlotMode.RANGE,
        slot_minutes=None,
        capacity=4,
        walk_in=True,
        consultation_types=(ConsultationType.CABINET,),
        recurring=False,
        modified=False,
    )
    answer = AgendaAnswer.of(dt.date(2026, 3, 2), dt.date(2026, 3, 3), ZoneInfo("UTC"), [(occurrence, False)])
    served = _served(AgendaAnswer, answer)
    assert served["timezone"] == "UTC"
    assert served["from"] == "2026-03-02"
    assert served["occurrences"][0]["start"] == "2026-03-02T10:00:00+00:00"
    assert served["occurrences"][0] | {"start": None, "end": None} == {
        "availability_id": "a1",
        "date": "2026-03-02",
        "start": None,
        "end": None,
        "mode": "range",
        "slot_minutes": None,
        "capacity": 4,
        "walk_in": True,
        "consultation_types": ["cabinet"],
        "place_id": "p1",
        "active": False,
        "recurring": False,
        "modified": False,
    }


# --- the FHIR models describe what the code sends ----------------------------------------------------------


@pytest.mark.parametrize(
    "outcome",
    [
        operation_outcome([]),
        operation_outcome([OutcomeIssue(Severity.INFORMATION, IssueType.INFORMATIONAL, "created")]),
        mapping_outcome(MappingResult(slots=[], rejected=[]), ["2 slot(s) removed"]),
        error_outcome(NotFound("no appointment record", field="appointment_id")),
        error_outcome(RuleViolation("too many")),
    ],
)
def test_the_operation_outcome_model_reads_what_is_sent(outcome: dict[str, Any]) -> None:
    assert OperationOutcome.model_validate(outcome).model_dump(mode="json", exclude_none=True) == outcome


@pytest.mark.parametrize(
    "item",
    [
        {
            "appointment_id": "0" * 32,
            "version": 2,
            "updated_at": "2026-03-02T09:30:00.000000Z",
            "identifier_system": "urn:oid:1.1.111",
            "identifier_value": "rdv-1",
            "status": "booked",
            "national_id": "810000000001",
            "start": "2026-03-03T10:00:00Z",
            "end": "2026-03-03T10:15:00Z",
            "created": "2026-03-02T09:00:00Z",
        },
        {
            "appointment_id": "1" * 32,
            "version": 1,
            "updated_at": "2026-03-02T09:30:00.000000Z",
            "identifier_value": "rdv-2",
            "status": "cancelled",
            "national_id": "810000000001",
        },
    ],
)
def test_the_appointment_model_reads_what_is_sent(item: dict[str, Any]) -> None:
    resource = as_fhir(item)
    assert Appointment.model_validate(resource).model_dump(mode="json", exclude_none=True) == resource
