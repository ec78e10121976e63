"""A local FHIR server standing in for an editor (docs/interop.md), for `make run` and the tests; never
deployed.

It answers the two searches the platform sends, from a catalogue the caller fills:
- `GET /fhir/Slot?...schedule.actor:Practitioner.identifier=...` (flows INT_R01/INT_R04, up to 25 ids), and
- `GET /fhir/Schedule?...actor:Location.organization.identifier=...` (SOS variant, up to 10 SIRETs; a
  site's Schedule may name the doctor on duty, included as a Practitioner),
honouring the start window and `status=free`; and `POST /fhir/Appointment` (a level-2 booking, "flux 6a"):
201 with `Location` while the slot is free, 409 with an OperationOutcome once it is gone; and the regulator
accounts the platform sends (flow INT_R02): `POST /fhir/Practitioner` (201) and
`PUT /fhir/Practitioner?identifier=<system>|<value>` (200, or 201 for an identifier it did not know), each
recorded in `practitioners`.

Faults can be switched on at runtime, for every request or the next `times` ones: `fail_with(503)`,
`delay(seconds)`, `garbage()` (not FHIR), `wrong_resource_type()`, `broken_references()`; for bookings only,
`answer_bookings("201" | "409" | "422" | "503" | "slow")`, also over HTTP for a person trying `make run`:
`POST /_control/bookings {"answer": "503"}` on the double's port. Every request is
recorded (`requests`) so a test can assert how the platform batched its searches.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sas_common.fhir.codes import siret_idnst
from sas_common.fhir.outcome import IssueType, OutcomeIssue, Severity, operation_outcome
from sas_common.fhir.queries import MAX_ASSOCIATIONS_PER_QUERY, MAX_PRACTITIONERS_PER_QUERY
from sas_common.fhir.resources import MODELS
from sas_common.identifiers import NATIONAL_ID_SYSTEM, STRUCTURE_ID_SYSTEM
from sas_local import fhir_shapes as shapes
from sas_local.fhir_shapes import CONSULTATION_CODES, VISIBILITY_CODES, Json

FHIR_JSON = "application/fhir+json"
PRACTITIONER_IDS = "schedule.actor:Practitioner.identifier"
ASSOCIATION_IDS = "actor:Location.organization.identifier"
GARBAGE = b"<html><body>Service temporarily unavailable</body></html>"


@dataclass(frozen=True)
class _SearchKind:
    identifiers: str  # the search parameter naming who
    system: str  # the identifier system it expects
    limit: int
    start: str  # the parameter bounding the slots' start
    status: str  # the parameter filtering the slots' status
    # What `broken_references()` leaves out: the resources the Slots' graph goes through.
    left_out_when_broken: frozenset[str]


PRACTITIONER_SEARCH = _SearchKind(
    PRACTITIONER_IDS,
    NATIONAL_ID_SYSTEM,
    MAX_PRACTITIONERS_PER_QUERY,
    "start",
    "status",
    frozenset({"Schedule", "Practitioner", "PractitionerRole", "HealthcareService", "Organization"}),
)
ASSOCIATION_SEARCH = _SearchKind(
    ASSOCIATION_IDS,
    STRUCTURE_ID_SYSTEM,
    MAX_ASSOCIATIONS_PER_QUERY,
    "_has:Slot:schedule:start",
    "_has:Slot:schedule:status",
    frozenset({"Location", "Organization"}),
)


@dataclass(frozen=True)
class FakePlace:
    line: str
    postal_code: str
    city: str
    lat: float | None = None
    lon: float | None = None
    structure_id: str | None = None  # FINESS / SIRET as a structure identifier
    phone: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class FakeSlot:
    start: datetime
    end: datetime
    visibility: tuple[str, ...] = ("SNP",)
    consultation: tuple[str, ...] = ("AMB",)
    walk_in: bool = False
    reasons: tuple[str, ...] = ()
    specialty: str | None = "SM54"
    booking_url: str | None = None

    @classmethod
    def of(cls, spec: FakeSlot | Sequence[Any]) -> FakeSlot:
        """A FakeSlot, or `(start, end, *codes)` with visibility (SNP…) and consultation (AMB…) codes."""
        if isinstance(spec, FakeSlot):
            return spec
        start, end, *codes = spec
        visibility = tuple(code for code in codes if code in VISIBILITY_CODES) or ("SNP",)
        consultation = tuple(code for code in codes if code in CONSULTATION_CODES) or ("AMB",)
        return cls(start, end, visibility, consultation)


@dataclass(frozen=True)
class FakeDoctor:
    """A doctor on duty at an SOS site, named by the site's Schedule (and included as a Practitioner)."""

    national_id: str
    family: str | None = None
    given: str | None = None


@dataclass(frozen=True)
class FakeCpts:
    structure_id: str
    name: str
    phone: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    params: dict[str, list[str]]
    body: bytes

    @property
    def identifiers(self) -> list[str]:
        """The values of the practitioner or association identifiers searched for."""
        listed = self.params.get(PRACTITIONER_IDS) or self.params.get(ASSOCIATION_IDS) or [""]
        return [item.partition("|")[2] for item in listed[0].split(",") if item]


@dataclass(frozen=True)
class ReceivedPractitioner:
    """A Practitioner the platform sent (flow INT_R02): how, the `identifier` searched for by a PUT, and
    the resource as sent."""

    method: str
    identifier: str | None
    resource: Json


@dataclass
class _Slot:
    slot_id: str
    spec: FakeSlot
    free: bool = True


@dataclass
class _Schedule:
    schedule_id: str
    owner: str  # a national id, or an association's structure identifier (`3` + SIRET)
    place: FakePlace | None
    slots: list[_Slot]
    cpts: FakeCpts | None = None
    association: str | None = None  # SOS sites only
    on_duty: FakeDoctor | None = None  # SOS sites only


# `POST /_control/bookings`: how the double answers bookings (`FakeEditor.answer_bookings`).
CONTROL_PATH = "/_control/bookings"
BOOKING_ANSWERS = ("201", "409", "422", "503", "slow")
SLOW_BOOKING_SECONDS = 15.0


@dataclass
class _Fault:
    value: Any
    remaining: int | None  # None: every request


@dataclass
class EditorAnswer:
    """One HTTP answer of the double."""

    status: int
    body: bytes
    content_type: str = FHIR_JSON
    headers: dict[str, str] = field(default_factory=dict)


_SlotFilter = Callable[[_Slot], bool]
_EntriesOf = Callable[[set[str], _SlotFilter, dict[str, list[str]]], tuple[list[Json], int]]


def _json_answer(status: int, resource: Json, **headers: str) -> EditorAnswer:
    return EditorAnswer(status, json.dumps(resource).encode(), headers=headers)


def _outcome(status: int, message: str, code: IssueType) -> EditorAnswer:
    return _json_answer(status, operation_outcome([OutcomeIssue(Severity.ERROR, code, message)]))


def _bound(value: str) -> tuple[str, datetime]:
    return value[:2], datetime.fromisoformat(value[2:])


class FakeEditor:
    """Start it (`with FakeEditor() as editor:`), fill its catalogue, point the platform at `base_url`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._schedules: list[_Schedule] = []
        self._doctors: dict[str, tuple[str | None, str | None]] = {}
        self._slots: dict[str, _Slot] = {}
        self._faults: dict[str, _Fault] = {}
        self._booking_refusal: int | None = None
        self._booking_failure: int | None = None  # a 5xx or 429 answered to bookings only
        self._booking_delay = 0.0  # seconds before a booking is answered
        self._requests: list[RecordedRequest] = []
        self.appointments: list[Json] = []
        self.practitioners: list[ReceivedPractitioner] = []
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-editor", daemon=True
        )

    # --- lifecycle ----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/fhir"

    def start(self) -> FakeEditor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeEditor:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # --- catalogue ----------------------------------------------------------------------------------

    def add_practitioner_slots(
        self,
        national_id: str,
        slots: Iterable[FakeSlot | Sequence[Any]],
        place: FakePlace | None = None,
        *,
        family: str | None = "Martin",
        given: str | None = "Claire",
        cpts: FakeCpts | None = None,
    ) -> list[str]:
        """A doctor's slots at one place (one Schedule); returns the slot ids."""
        with self._lock:
            self._doctors[national_id] = (family, given)
            return self._add_schedule(national_id, slots, place, cpts=cpts)

    def add_sos_site(
        self,
        siret: str,
        slots: Iterable[FakeSlot | Sequence[Any]],
        site: FakePlace,
        *,
        association: str = "SOS Médecins",
        on_duty: FakeDoctor | None = None,
    ) -> list[str]:
        """A consultation site of an SOS Médecins association (one Schedule), with the doctor on duty its
        Schedule names, if any; returns the slot ids."""
        with self._lock:
            return self._add_schedule(
                siret_idnst(siret), slots, site, association=association, on_duty=on_duty
            )

    def _add_schedule(
        self,
        owner: str,
        slots: Iterable[FakeSlot | Sequence[Any]],
        place: FakePlace | None,
        *,
        cpts: FakeCpts | None = None,
        association: str | None = None,
        on_duty: FakeDoctor | None = None,
    ) -> list[str]:
        stored = [_Slot(f"slot-{next(self._ids)}", FakeSlot.of(spec)) for spec in slots]
        self._schedules.append(
            _Schedule(f"sched-{next(self._ids)}", owner, place, stored, cpts, association, on_duty)
        )
        self._slots.update((slot.slot_id, slot) for slot in stored)
        return [slot.slot_id for slot in stored]

    def mark_busy(self, slot_id: str) -> None:
        """The slot was booked elsewhere: it leaves the next answers."""
        with self._lock:
            self._slots[slot_id].free = False

    def clear(self) -> None:
        """An empty catalogue, no fault, nothing recorded."""
        with self._lock:
            self._schedules.clear()
            self._doctors.clear()
            self._slots.clear()
            self._faults.clear()
            self._booking_refusal = None
            self._booking_failure = None
            self._booking_delay = 0.0
            self._requests.clear()
            self.appointments.clear()
            self.practitioners.clear()

    # --- faults -------------------------------------------------------------------------------------

    def fail_with(self, status: int, *, times: int | None = None) -> None:
        self._set_fault("status", status, times)

    def delay(self, seconds: float, *, times: int | None = None) -> None:
        self._set_fault("delay", seconds, times)

    def garbage(self, *, times: int | None = None) -> None:
        """Answer 200 with a body that is not FHIR (nor JSON)."""
        self._set_fault("garbage", True, times)

    def wrong_resource_type(self, *, times: int | None = None) -> None:
        """Answer searches with a FHIR resource that is not a Bundle."""
        self._set_fault("wrong_type", True, times)

    def broken_references(self, *, times: int | None = None) -> None:
        """Answer searches with Bundles whose references name resources left out of them."""
        self._set_fault("broken_references", True, times)

    def healthy(self) -> None:
        with self._lock:
            self._faults.clear()

    def refuse_bookings(self, status: int = 409) -> None:
        """Answer every booking with `status` (409 or 422) and an OperationOutcome."""
        with self._lock:
            self._booking_refusal = status

    def accept_bookings(self) -> None:
        with self._lock:
            self._booking_refusal = None
            self._booking_failure = None
            self._booking_delay = 0.0

    def answer_bookings(self, mode: str) -> None:
        """How bookings (only) are answered from now on: `201` (as usual), `409` or `422` (refused), `503`
        (failing), `slow` (answered after 15 s, beyond any editor's read timeout but the longest)."""
        self.accept_bookings()
        with self._lock:
            if mode in ("409", "422"):
                self._booking_refusal = int(mode)
            elif mode == "503":
                self._booking_failure = 503
            elif mode == "slow":
                self._booking_delay = SLOW_BOOKING_SECONDS
            elif mode != "201":
                raise ValueError(f"unknown booking answer {mode!r}: one of {', '.join(BOOKING_ANSWERS)}")

    def _set_fault(self, name: str, value: Any, times: int | None) -> None:
        with self._lock:
            self._faults[name] = _Fault(value, times)

    def _take(self, name: str) -> Any:
        with self._lock:
            fault = self._faults.get(name)
            if fault is None:
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[name]
            return fault.value

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    # --- HTTP ---------------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        editor = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "sas-fake-editor"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                answer = editor.answer(self.command, self.path, body)
                self.send_response(answer.status)
                self.send_header("content-type", answer.content_type)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def answer(self, method: str, target: str, body: bytes = b"") -> EditorAnswer:
        """The answer to one request (the HTTP handler's whole work, callable without a socket)."""
        parts = urlsplit(target)
        params = parse_qs(parts.query, keep_blank_values=True)
        with self._lock:
            self._requests.append(RecordedRequest(method, parts.path, params, body))
        route = (method, parts.path.rstrip("/"))
        if route == ("POST", CONTROL_PATH):
            return self._control(body)
        faulty = self._faulty()
        if faulty is not None:
            return faulty
        if route == ("GET", "/fhir/Slot"):
            return self._search(params, PRACTITIONER_SEARCH, self._practitioner_entries)
        if route == ("GET", "/fhir/Schedule"):
            return self._search(params, ASSOCIATION_SEARCH, self._association_entries)
        if route == ("POST", "/fhir/Appointment"):
            return self._book(body)
        if route[1] == "/fhir/Practitioner" and method in ("POST", "PUT"):
            return self._practitioner(method, params, body)
        return _outcome(404, f"no route {method} {parts.path}", IssueType.NOT_FOUND)

    def _faulty(self) -> EditorAnswer | None:
        """The answer of the faults switched on, if any (after the delay, if one is)."""
        seconds = self._take("delay")
        if seconds:
            self._stopping.wait(seconds)
        status = self._take("status")
        if status:
            return _outcome(status, f"the editor is failing ({status})", IssueType.TRANSIENT)
        if self._take("garbage"):
            return EditorAnswer(
                200, b"<html><body>Service temporarily unavailable</body></html>", "text/html"
            )
        return None

    # --- searches -----------------------------------------------------------------------------------

    def _search(
        self, params: dict[str, list[str]], kind: _SearchKind, entries_of: _EntriesOf
    ) -> EditorAnswer:
        listed = [
            item.partition("|") for item in (params.get(kind.identifiers) or [""])[0].split(",") if item
        ]
        if not listed:
            return _outcome(400, f"{kind.identifiers} is required", IssueType.REQUIRED)
        if len(listed) > kind.limit:
            return _outcome(400, f"at most {kind.limit} identifiers per request", IssueType.TOO_LONG)
        wanted = {value for system, _, value in listed if system == kind.system}
        try:
            bounds = [_bound(value) for value in params.get(kind.start, [])]
        except ValueError:
            return _outcome(400, f"{kind.start}: not ge/le + a FHIR instant", IssueType.INVALID)
        only_free = params.get(kind.status) == ["free"]

        def wanted_slot(slot: _Slot) -> bool:
            in_window = all(
                slot.spec.start >= moment if prefix == "ge" else slot.spec.start <= moment
                for prefix, moment in bounds
            )
            return in_window and (slot.free or not only_free)

        with self._lock:
            entries, total = entries_of(wanted, wanted_slot, params)
        if self._take("wrong_type"):
            first = next((e["resource"] for e in entries if e["resource"]["resourceType"] == "Slot"), None)
            return _json_answer(200, first or {"resourceType": "Practitioner", "id": "not-a-bundle"})
        if self._take("broken_references"):
            entries = [e for e in entries if e["resource"]["resourceType"] not in kind.left_out_when_broken]
        return _json_answer(200, shapes.searchset(entries, total=total))

    def _practitioner_entries(
        self, wanted: set[str], wanted_slot: _SlotFilter, params: dict[str, list[str]]
    ) -> tuple[list[Json], int]:
        with_services = "Slot:service-type-reference" in params.get("_include", [])
        slots: list[Json] = []
        included: dict[str, Json] = {}
        for schedule in self._schedules:
            if schedule.owner not in wanted or schedule.association is not None:
                continue
            matching = [slot for slot in schedule.slots if wanted_slot(slot)]
            if not matching:
                continue
            family, given = self._doctors[schedule.owner]
            doctor = shapes.practitioner(f"pra-{schedule.owner}", schedule.owner, family=family, given=given)
            role = self._role(schedule, doctor)
            schedule_resource = shapes.schedule(schedule.schedule_id, [doctor, role])
            services: list[Json] = []
            if schedule.cpts is not None and with_services:
                cpts = schedule.cpts
                provider = shapes.organization(f"org-{cpts.structure_id}", cpts.structure_id, name=cpts.name)
                services = [shapes.healthcare_service(f"hcs-{cpts.structure_id}", provider)]
                included.update((f"{r['resourceType']}/{r['id']}", r) for r in (services[0], provider))
            slots += [self._slot(slot, schedule_resource, services) for slot in matching]
            included.update((f"{r['resourceType']}/{r['id']}", r) for r in (schedule_resource, doctor, role))
        base = self.base_url
        match = [shapes.entry(slot, base, mode="match") for slot in slots]
        return match + [shapes.entry(r, base, mode="include") for r in included.values()], len(slots)

    def _association_entries(
        self, wanted: set[str], wanted_slot: _SlotFilter, params: dict[str, list[str]]
    ) -> tuple[list[Json], int]:
        schedules: list[Json] = []
        included: dict[str, Json] = {}
        for schedule in self._schedules:
            if schedule.owner not in wanted or schedule.association is None or schedule.place is None:
                continue
            matching = [slot for slot in schedule.slots if wanted_slot(slot)]
            if not matching:
                continue
            association = shapes.organization(
                f"org-{schedule.owner}", schedule.owner, name=schedule.association
            )
            site = self._location(
                f"site-{schedule.schedule_id}", schedule.place, shapes.reference(association)
            )
            doctors = []
            if schedule.on_duty is not None:
                on_duty = schedule.on_duty
                doctors = [
                    shapes.practitioner(
                        f"pra-{on_duty.national_id}",
                        on_duty.national_id,
                        family=on_duty.family,
                        given=on_duty.given,
                    )
                ]
            resource = shapes.schedule(
                schedule.schedule_id, [site, *doctors], profile="FrScheduleAgregateurSOS"
            )
            schedules.append(resource)
            included.update((f"Slot/{slot.slot_id}", self._slot(slot, resource, [])) for slot in matching)
            included.update((f"{r['resourceType']}/{r['id']}", r) for r in (site, association, *doctors))
        base = self.base_url
        match = [shapes.entry(schedule, base, mode="match") for schedule in schedules]
        return match + [shapes.entry(r, base, mode="include") for r in included.values()], len(schedules)

    def _role(self, schedule: _Schedule, doctor: Json) -> Json:
        place = schedule.place
        return shapes.practitioner_role(
            f"role-{schedule.schedule_id}",
            doctor,
            place=self._location("place", place, None) if place else None,
            structure_id=place.structure_id if place else None,
            phone=place.phone if place else None,
        )

    @staticmethod
    def _location(resource_id: str, place: FakePlace, managing_organization: Json | None) -> Json:
        return shapes.location(
            resource_id,
            name=place.name,
            line=place.line,
            postal_code=place.postal_code,
            city=place.city,
            lat=place.lat,
            lon=place.lon,
            phone=place.phone,
            managing_organization=managing_organization,
        )

    @staticmethod
    def _slot(slot: _Slot, schedule: Json, services: list[Json]) -> Json:
        spec = slot.spec
        return shapes.slot(
            slot.slot_id,
            schedule,
            spec.start,
            spec.end,
            visibility=spec.visibility,
            consultation=spec.consultation,
            reasons=spec.reasons,
            specialty=spec.specialty,
            walk_in=spec.walk_in,
            booking_url=spec.booking_url,
            status="free" if slot.free else "busy",
            services=services,
        )

    # --- bookings (flux 6a) -------------------------------------------------------------------------

    def _control(self, body: bytes) -> EditorAnswer:
        """`POST /_control/bookings {"answer": "201"|"409"|"422"|"503"|"slow"}`: for a person trying the
        booking flow on `make run` (a test calls `answer_bookings`)."""
        try:
            mode = str(json.loads(body or b"{}").get("answer", ""))
            self.answer_bookings(mode)
        except (ValueError, AttributeError) as error:
            return _json_answer(400, {"error": str(error)[:200]})
        return _json_answer(200, {"bookings": mode})

    def _book(self, body: bytes) -> EditorAnswer:
        with self._lock:
            failure, delay = self._booking_failure, self._booking_delay
        if delay:
            self._stopping.wait(delay)
        if failure:
            return _outcome(failure, f"the editor is failing ({failure})", IssueType.TRANSIENT)
        try:
            appointment = MODELS["Appointment"].model_validate_json(body)
        except (ValueError, KeyError, TypeError) as exc:
            return _outcome(400, f"not a valid Appointment: {exc.__class__.__name__}", IssueType.STRUCTURE)
        with self._lock:
            if self._booking_refusal is not None:
                return _outcome(
                    self._booking_refusal, "the editor refuses the booking", IssueType.BUSINESS_RULE
                )
            references = [slot.reference for slot in appointment.slot or () if slot.reference]
            slot = self._slots.get(references[0].rstrip("/").rpartition("/")[2]) if references else None
            if slot is None or not slot.free:
                return _outcome(409, "the slot is no longer available", IssueType.CONFLICT)
            slot.free = False
            self.appointments.append(json.loads(body))
            appointment_id = f"appt-{len(self.appointments)}"
        created = {**json.loads(body), "id": appointment_id}
        return _json_answer(201, created, location=f"{self.base_url}/Appointment/{appointment_id}")

    # --- regulator accounts (INT_R02) ---------------------------------------------------------------

    def _practitioner(self, method: str, params: dict[str, list[str]], body: bytes) -> EditorAnswer:
        try:
            MODELS["Practitioner"].model_validate_json(body)
        except (ValueError, KeyError, TypeError) as exc:
            return _outcome(400, f"not a valid Practitioner: {exc.__class__.__name__}", IssueType.STRUCTURE)
        searched = next(iter(params.get("identifier", [])), None)
        if method == "PUT" and not searched:
            return _outcome(400, "a conditional update needs ?identifier=", IssueType.REQUIRED)
        resource = json.loads(body)
        with self._lock:
            known = any(_same_identifier(sent, searched) for sent in self.practitioners)
            self.practitioners.append(ReceivedPractitioner(method, searched, resource))
        status = 200 if method == "PUT" and known else 201
        return _json_answer(status, {**resource, "id": f"pra-{len(self.practitioners)}"})


def _same_identifier(sent: ReceivedPractitioner, searched: str | None) -> bool:
    """Whether `sent` carries the `<system>|<value>` identifier a PUT searches for."""
    return any(
        f"{identifier.get('system')}|{identifier.get('value')}" == searched
        for identifier in sent.resource.get("identifier", [])
    )
