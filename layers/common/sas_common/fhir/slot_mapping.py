"""An editor's slot Bundle (flows INT_R01/INT_R04, the SOS variant, or a push) → `EditorSlot`s.

Every Slot of the Bundle is read whatever its search mode (`match` for doctors and CPTS, `include` for
SOS, none in a push). The graph followed depends on the editor's kind:
- ps, cpts: Slot → schedule → Schedule → actors: the Practitioner (national id, name) and the
  PractitionerRole (contained Location, `organization.identifier`, phone). A slot's serviceType may
  reference, by extension, a HealthcareService → providedBy the CPTS Organization.
- sos: Slot → schedule → Schedule → actor Location (the site) → managingOrganization Organization
  (the association's SIRET, name).
One bad entry is one `Rejection` with its reason; the other entries are kept. Resources are indexed once;
what Slots share (their schedule, codes, services) is validated and read once for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from sas_common.effecteurs.model import Position
from sas_common.fhir.codes import (
    ACT_CODE_SYSTEM,
    APPOINTMENT_TYPE_SYSTEM,
    IDENTIFIER_TYPE_SYSTEMS,
    NATIONAL_ID_TYPE,
    SERVICE_TYPE_REFERENCE_EXTENSION,
    SLOT_TYPE_SYSTEM,
    SPECIALTY_SYSTEM,
    AppointmentType,
    ConsultationCode,
    SlotVisibility,
    siret_of,
)
from sas_common.fhir.errors import InvalidBundle
from sas_common.fhir.model import (
    CptsService,
    EditorSlot,
    MappingResult,
    Place,
    PractitionerName,
    Rejection,
    RejectionCode,
    SosAssociation,
    Specialty,
)
from sas_common.fhir.resources import (
    MODELS,
    BrokenReference,
    BundleIndex,
    RepeatedReader,
    Resource,
    UnreadableResource,
    collector_paused,
    load_json,
    read_resource,
)
from sas_common.identifiers import NATIONAL_ID_SYSTEM, STRUCTURE_ID_SYSTEM, is_national_id
from sas_common.territory import EditorKind

# What a slot Bundle may carry; OperationOutcome entries (search mode `outcome`) are read as messages.
GRAPH_TYPES = frozenset(
    {"Slot", "Schedule", "Practitioner", "PractitionerRole", "Location", "Organization", "HealthcareService"}
)
# A Slot's own elements; the rest (schedule, status, codes, profile) is shared by many Slots.
_SLOT_REQUIRED_PLACEHOLDERS = {"start": "1970-01-01T00:00:00Z", "end": "1970-01-01T00:00:00Z"}
_SLOT_OPTIONAL_OWN = ("id", "identifier", "comment")
# Server bookkeeping that differs between Slots and that the platform never reads.
_META_BOOKKEEPING = frozenset({"versionId", "lastUpdated", "source"})
_MAX_TYPE_NAME = 64
_Code = TypeVar("_Code", SlotVisibility, ConsultationCode, AppointmentType)
_Value = TypeVar("_Value")


class _Problem(Exception):
    def __init__(self, code: RejectionCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _ScheduleFacts:
    """What a Schedule's actors say about all its slots."""

    national_id: str | None
    practitioner: PractitionerName | None
    place: Place | None
    specialties: tuple[Specialty, ...]
    sos: SosAssociation | None = None


@dataclass(frozen=True, slots=True)
class _SlotFacts:
    """What the shared part of Slots (schedule, status, codes) says about each of them."""

    schedule: _ScheduleFacts
    visibility: tuple[SlotVisibility, ...]
    consultation_types: tuple[ConsultationCode, ...]
    reasons: tuple[str, ...]
    appointment_type: AppointmentType | None
    specialties: tuple[Specialty, ...]
    cpts: tuple[CptsService, ...]


@dataclass(frozen=True, slots=True)
class _FoundSlot:
    position: int
    shared: Resource  # a Slot whose own elements (id, start, end, comment) are placeholders
    own: Any  # the Slot's own elements, validated
    full_url: str | None


def map_slot_bundle(bundle_json: dict[str, Any] | bytes | str, kind: EditorKind) -> MappingResult:
    """The slots of an editor's Bundle, and its entries rejected with their reasons.

    Raises NotFhir when the payload is not a FHIR resource, InvalidBundle when it is not a usable Bundle.
    """
    with collector_paused():
        return _map(load_json(bundle_json), kind)


def _map(raw: dict[str, Any], kind: EditorKind) -> MappingResult:
    entries, total, next_url = _read_envelope(raw)
    found_slots, index, rejected, messages = _read_entries(entries)
    reader = _GraphReader(index, kind)
    slots: list[EditorSlot] = []
    seen: set[str] = set()
    for found in found_slots:
        try:
            mapped = reader.slot(found)
            if mapped.slot_id in seen:
                raise _Problem(RejectionCode.DUPLICATE_SLOT, f"slot {mapped.slot_id} appears twice")
        except _Problem as problem:
            rejected.append(Rejection(found.position, problem.reason, problem.code))
            continue
        seen.add(mapped.slot_id)
        slots.append(mapped)
    rejected.sort(key=lambda rejection: rejection.index)
    return MappingResult(slots, rejected, total, next_url, tuple(messages))


def _read_entries(entries: list[Any]) -> tuple[list[_FoundSlot], BundleIndex, list[Rejection], list[str]]:
    """Every entry validated: the Slots, the index of the other resources, the rejected entries, and the
    diagnostics of OperationOutcome entries."""
    index = BundleIndex()
    slot_reader = RepeatedReader(MODELS["Slot"], _SLOT_REQUIRED_PLACEHOLDERS, _SLOT_OPTIONAL_OWN)
    found_slots: list[_FoundSlot] = []
    rejected: list[Rejection] = []
    messages: list[str] = []
    for position, entry in enumerate(entries):
        try:
            resource_raw, full_url = _entry_resource(entry)
            if resource_raw["resourceType"] == "Slot":
                shared, own = _read(slot_reader.read, _slot_as_r4(resource_raw))
                found_slots.append(_FoundSlot(position, shared, own, full_url))
                continue
            resource = _read(lambda raw: read_resource(raw, MODELS[raw["resourceType"]]), resource_raw)
        except _Problem as problem:
            rejected.append(Rejection(position, problem.reason, problem.code))
            continue
        if resource.get_resource_type() == "OperationOutcome":
            messages.extend(issue.diagnostics for issue in resource.issue if issue.diagnostics)
        else:
            index.add(resource, full_url)
    return found_slots, index, rejected, messages


def _read_envelope(raw: dict[str, Any]) -> tuple[list[Any], int | None, str | None]:
    if raw["resourceType"] != "Bundle":
        raise InvalidBundle(f"expected a Bundle, got a {str(raw['resourceType'])[:_MAX_TYPE_NAME]}")
    entries = raw.get("entry") or []
    if not isinstance(entries, list):
        raise InvalidBundle("Bundle.entry is not a list")
    try:
        envelope = {name: value for name, value in raw.items() if name != "entry"}
        bundle = read_resource(envelope, MODELS["Bundle"])
    except UnreadableResource as exc:
        raise InvalidBundle(str(exc)) from exc
    next_url = next((link.url for link in bundle.link or () if link.relation == "next"), None)
    return entries, bundle.total, next_url


def _entry_resource(entry: Any) -> tuple[dict[str, Any], str | None]:
    """The entry's resource, still JSON, if it is of a type a slot Bundle carries; and its fullUrl."""
    if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
        raise _Problem(RejectionCode.UNREADABLE_ENTRY, "the entry has no resource")
    raw: dict[str, Any] = entry["resource"]
    resource_type = raw.get("resourceType")
    if resource_type not in GRAPH_TYPES and resource_type != "OperationOutcome":
        shown = str(resource_type)[:_MAX_TYPE_NAME]
        raise _Problem(RejectionCode.UNEXPECTED_RESOURCE_TYPE, f"unexpected resource type {shown!r}")
    full_url = entry.get("fullUrl")
    return raw, full_url if isinstance(full_url, str) and full_url else None


def _read(reader: Callable[[dict[str, Any]], _Value], raw: dict[str, Any]) -> _Value:
    try:
        return reader(raw)
    except UnreadableResource as exc:
        raise _Problem(RejectionCode.INVALID_RESOURCE, str(exc)) from exc


def _slot_as_r4(raw: dict[str, Any]) -> dict[str, Any]:
    if "schedule" not in raw:
        raise _Problem(RejectionCode.MISSING_SCHEDULE, "the slot has no schedule")
    appointment_type = raw.get("appointmentType")
    if isinstance(appointment_type, list):
        # R5 made appointmentType a list; some editors send it so (the guide's own examples write it so).
        raw = {**raw, "appointmentType": appointment_type[0] if appointment_type else None}
    meta = raw.get("meta")
    if isinstance(meta, dict) and not _META_BOOKKEEPING.isdisjoint(meta):
        raw = {**raw, "meta": {name: value for name, value in meta.items() if name not in _META_BOOKKEEPING}}
    return raw


class _GraphReader:
    def __init__(self, index: BundleIndex, kind: EditorKind) -> None:
        self._index = index
        self._kind = kind
        self._slots: dict[int, _SlotFacts | _Problem] = {}
        self._schedules: dict[int, _ScheduleFacts | _Problem] = {}
        self._services: dict[int, CptsService | _Problem] = {}

    def slot(self, found: _FoundSlot) -> EditorSlot:
        own = found.own
        slot_id = own.id or found.full_url
        if not slot_id:
            raise _Problem(RejectionCode.NO_SLOT_ID, "the slot has neither an id nor a fullUrl")
        facts = _cached(self._slots, found.shared, self._slot_facts)
        if own.end <= own.start:
            reason = f"the slot ends ({own.end.isoformat()}) by its start ({own.start.isoformat()})"
            raise _Problem(RejectionCode.INVALID_PERIOD, reason)
        schedule = facts.schedule
        return EditorSlot(
            entry_index=found.position,
            slot_id=slot_id,
            national_id=schedule.national_id,
            start=own.start,
            end=own.end,
            visibility=facts.visibility,
            consultation_types=facts.consultation_types,
            reasons=facts.reasons,
            appointment_type=facts.appointment_type,
            specialties=facts.specialties or schedule.specialties,
            booking_url=_web_url(own.comment),
            place=schedule.place,
            practitioner=schedule.practitioner,
            cpts=facts.cpts,
            sos=schedule.sos,
        )

    def _slot_facts(self, slot: Resource) -> _SlotFacts:
        if slot.status != "free":
            raise _Problem(RejectionCode.NOT_FREE, f"the slot is {slot.status}, not free")
        schedule = self._schedule_facts(slot)
        service_types = slot.serviceType or ()
        service_codings = [coding for concept in service_types for coding in concept.coding or ()]
        reasons = (concept.text.strip() for concept in service_types if concept.text and concept.text.strip())
        appointment_codings = slot.appointmentType.coding or () if slot.appointmentType else ()
        appointment_types = _codes(appointment_codings, APPOINTMENT_TYPE_SYSTEM, AppointmentType)
        return _SlotFacts(
            schedule=schedule,
            visibility=_codes(
                slot.meta.security or () if slot.meta else (), SLOT_TYPE_SYSTEM, SlotVisibility
            ),
            consultation_types=_codes(service_codings, ACT_CODE_SYSTEM, ConsultationCode),
            reasons=_unique(reasons),
            appointment_type=appointment_types[0] if appointment_types else None,
            specialties=_specialties(slot.specialty),
            cpts=tuple(self._cpts_services(slot)),
        )

    # --- Schedule → actors -----------------------------------------------------------------------

    def _schedule_facts(self, slot: Resource) -> _ScheduleFacts:
        reference = slot.schedule.reference
        if not reference:
            raise _Problem(RejectionCode.MISSING_SCHEDULE, "the slot's schedule is not a literal reference")
        schedule, holder = self._resolve("schedule", reference, slot, "Schedule")
        return _cached(self._schedules, schedule, partial(self._read_schedule, holder=holder))

    def _read_schedule(self, schedule: Resource, holder: Resource) -> _ScheduleFacts:
        named = f"Schedule/{schedule.id}" if schedule.id else "the schedule"
        actors: dict[str, list[tuple[Resource, Resource]]] = {}
        logical_ids: list[Resource] = []
        for actor in schedule.actor or ():
            if actor.reference:
                found = self._resolve(f"{named} actor", actor.reference, holder, None)
                actors.setdefault(found[0].get_resource_type(), []).append(found)
            elif actor.identifier is not None and actor.type in (None, "Practitioner"):
                logical_ids.append(actor.identifier)
        schedule_specialties = _specialties(schedule.specialty)
        if self._kind is EditorKind.SOS:
            return self._sos_facts(named, actors, logical_ids, schedule_specialties)
        return self._practitioner_facts(named, actors, logical_ids, schedule_specialties)

    def _practitioner_facts(
        self,
        named: str,
        actors: dict[str, list[tuple[Resource, Resource]]],
        logical_ids: list[Resource],
        schedule_specialties: tuple[Specialty, ...],
    ) -> _ScheduleFacts:
        role, role_holder = (actors.get("PractitionerRole") or [(None, None)])[0]
        national_id, practitioner = self._practitioner(named, actors, logical_ids, role, role_holder)
        place, role_specialties = self._practice(actors, role, role_holder)
        return _ScheduleFacts(
            national_id=national_id,
            practitioner=_name(practitioner) if practitioner is not None else None,
            place=place,
            specialties=role_specialties or schedule_specialties,
        )

    def _practitioner(
        self,
        named: str,
        actors: dict[str, list[tuple[Resource, Resource]]],
        logical_ids: list[Resource],
        role: Resource | None,
        role_holder: Resource | None,
    ) -> tuple[str, Resource | None]:
        """The one doctor the Schedule names (its Practitioner resource, when included): its actors,
        else the practitioner of its PractitionerRole."""
        practitioners = actors.get("Practitioner", [])
        if not practitioners and not logical_ids and role is not None and role.practitioner is not None:
            if role.practitioner.reference:
                reference = role.practitioner.reference
                practitioners = [self._resolve("practitioner", reference, role_holder, "Practitioner")]
            elif role.practitioner.identifier is not None:
                logical_ids.append(role.practitioner.identifier)
        if not practitioners and not logical_ids:
            raise _Problem(RejectionCode.NO_NATIONAL_ID, f"{named} names no Practitioner")
        named_ids = [(_national_id(p.identifier or (), f"Practitioner/{p.id}"), p) for p, _ in practitioners]
        named_ids += [(_national_id([identifier], "the practitioner"), None) for identifier in logical_ids]
        national_ids = {national_id for national_id, _ in named_ids}
        if len(national_ids) > 1:
            raise _Problem(
                RejectionCode.AMBIGUOUS_PRACTITIONER,
                f"{named} names several practitioners ({', '.join(sorted(national_ids))})",
            )
        return named_ids[0]

    def _practice(
        self,
        actors: dict[str, list[tuple[Resource, Resource]]],
        role: Resource | None,
        role_holder: Resource | None,
    ) -> tuple[Place | None, tuple[Specialty, ...]]:
        """Where the doctor practises (the role's Location, else the Schedule's, else only the role's
        structure and phone), and the role's specialties."""
        location, location_holder = (actors.get("Location") or [(None, None)])[0]
        structure_id = phone = None
        role_specialties: tuple[Specialty, ...] = ()
        if role is not None:
            if role.location and role.location[0].reference:
                reference = role.location[0].reference
                location, location_holder = self._resolve("location", reference, role_holder, "Location")
            structure_id = self._structure_id(role.organization, role_holder)
            phone = _phone(role.telecom)
            role_specialties = _specialties(role.specialty)
        place = None
        if location is not None:
            structure_id = structure_id or self._structure_id(location.managingOrganization, location_holder)
            place = _place(location, location_holder, structure_id, phone or _phone(location.telecom))
        elif structure_id or phone:
            place = Place(None, None, (), None, None, None, structure_id, phone)
        return place, role_specialties

    def _sos_facts(
        self,
        named: str,
        actors: dict[str, list[tuple[Resource, Resource]]],
        logical_ids: list[Resource],
        schedule_specialties: tuple[Specialty, ...],
    ) -> _ScheduleFacts:
        if not actors.get("Location"):
            raise _Problem(RejectionCode.NO_LOCATION, f"{named} names no Location (consultation site)")
        location, holder = actors["Location"][0]
        site = f"Location/{location.id}" if location.id else "the site"
        reference = location.managingOrganization
        if reference is None:
            raise _Problem(RejectionCode.NO_ASSOCIATION, f"{site} has no managingOrganization")
        organization = self._organization(f"managingOrganization of {site}", reference, holder)
        identifiers = organization.identifier or () if organization is not None else [reference.identifier]
        siret = _siret(identifiers)
        if siret is None:
            raise _Problem(RejectionCode.NO_ASSOCIATION, f"the association managing {site} has no SIRET")
        association = SosAssociation(
            siret=siret,
            name=organization.name if organization is not None else reference.display,
            phone=_phone(organization.telecom) if organization is not None else None,
        )
        # The doctor on duty, when the site's Schedule names exactly one (a Practitioner actor, or its
        # identifier), with the name the editor gives: the platform may not know them yet.
        doctors: dict[str, PractitionerName | None] = {}
        for practitioner, _ in actors.get("Practitioner", []):
            national_id = _optional_national_id(practitioner.identifier or ())
            if national_id is not None and doctors.get(national_id) is None:
                doctors[national_id] = _name(practitioner)
        for identifier in logical_ids:
            national_id = _optional_national_id([identifier])
            if national_id is not None:
                doctors.setdefault(national_id, None)
        doctor, name = next(iter(doctors.items())) if len(doctors) == 1 else (None, None)
        return _ScheduleFacts(
            national_id=doctor,
            practitioner=name,
            place=_place(location, holder, siret, _phone(location.telecom)),
            specialties=schedule_specialties,
            sos=association,
        )

    # --- CPTS: serviceType extension → HealthcareService → providedBy Organization -----------------

    def _cpts_services(self, slot: Resource) -> Iterable[CptsService]:
        for concept in slot.serviceType or ():
            for extension in concept.extension or ():
                if extension.url != SERVICE_TYPE_REFERENCE_EXTENSION or extension.valueReference is None:
                    continue
                reference = extension.valueReference.reference
                if not reference:
                    continue
                service, holder = self._resolve("service type", reference, slot, "HealthcareService")
                yield _cached(self._services, service, partial(self._read_service, holder=holder))

    def _read_service(self, service: Resource, holder: Resource) -> CptsService:
        provider = service.providedBy
        organization = self._organization("providedBy", provider, holder) if provider is not None else None
        identifiers = [*(organization.identifier or () if organization is not None else ())]
        if provider is not None and provider.identifier is not None:
            identifiers.append(provider.identifier)
        return CptsService(
            service_id=service.id,
            organization_id=_structure_identifier(identifiers),
            name=organization.name if organization is not None and organization.name else service.name,
            phone=_phone(organization.telecom if organization is not None else None)
            or _phone(service.telecom),
        )

    # --- references --------------------------------------------------------------------------------

    def _resolve(
        self, label: str, reference: str, holder: Resource, expected: str | None
    ) -> tuple[Resource, Resource]:
        try:
            return self._index.resolve(reference, holder, expected)
        except BrokenReference as exc:
            raise _Problem(RejectionCode.BROKEN_REFERENCE, f"broken reference ({label}): {exc}") from exc

    def _organization(self, label: str, reference: Resource, holder: Resource) -> Resource | None:
        """The Organization a reference names; None when it names none, or names by identifier one that
        is not in the Bundle (the identifier is then what the platform keeps)."""
        if not reference.reference:
            return None
        try:
            organization, _ = self._index.resolve(reference.reference, holder, "Organization")
        except BrokenReference as exc:
            if reference.identifier is not None:
                return None
            raise _Problem(RejectionCode.BROKEN_REFERENCE, f"broken reference ({label}): {exc}") from exc
        return organization

    def _structure_id(self, reference: Resource | None, holder: Resource) -> str | None:
        """The FINESS/SIRET a reference to an Organization carries, or the referenced Organization's."""
        if reference is None:
            return None
        if reference.identifier is not None:
            found = _structure_identifier([reference.identifier])
            if found:
                return found
        organization = self._organization("organization", reference, holder)
        return _structure_identifier(organization.identifier or ()) if organization is not None else None


def _cached(
    cache: dict[int, _Value | _Problem], resource: Resource, read: Callable[[Resource], _Value]
) -> _Value:
    """What `read` finds in `resource`, read once for all the Slots that share it (problems too)."""
    key = id(resource)
    if key not in cache:
        try:
            cache[key] = read(resource)
        except _Problem as problem:
            cache[key] = problem
    found = cache[key]
    if isinstance(found, _Problem):
        raise _Problem(found.code, found.reason)
    return found


# --- element readers ---------------------------------------------------------------------------------


def _national_id(identifiers: Iterable[Resource], named: str) -> str:
    found = _optional_national_id(identifiers)
    if found is not None:
        return found
    candidates = [i.value for i in identifiers if _is_national_identifier(i) and i.value]
    if candidates:
        reason = f"{named}: national id {candidates[0]!r} is not 8 + RPPS nor 0 + ADELI"
    else:
        reason = f"{named} has no national id ({NATIONAL_ID_SYSTEM})"
    raise _Problem(RejectionCode.NO_NATIONAL_ID, reason)


def _optional_national_id(identifiers: Iterable[Resource]) -> str | None:
    return next(
        (i.value for i in identifiers if _is_national_identifier(i) and i.value and is_national_id(i.value)),
        None,
    )


def _is_national_identifier(identifier: Resource) -> bool:
    """System urn:oid:1.2.250.1.71.4.2.1, or no system and type IDNPS (the guide's own examples)."""
    if identifier.system is not None:
        return bool(identifier.system == NATIONAL_ID_SYSTEM)
    codings = identifier.type.coding or () if identifier.type is not None else ()
    systems = (None, *IDENTIFIER_TYPE_SYSTEMS)
    return any(coding.code == NATIONAL_ID_TYPE and coding.system in systems for coding in codings)


def _structure_identifier(identifiers: Iterable[Resource]) -> str | None:
    return next((i.value for i in identifiers if i.system == STRUCTURE_ID_SYSTEM and i.value), None)


def _siret(identifiers: Iterable[Resource | None]) -> str | None:
    """An association's SIRET: a structure identifier (or one without system) holding a SIRET."""
    for identifier in identifiers:
        if identifier is not None and identifier.value and identifier.system in (STRUCTURE_ID_SYSTEM, None):
            siret = siret_of(identifier.value)
            if siret:
                return siret
    return None


def _codes(codings: Iterable[Resource], system: str, vocabulary: type[_Code]) -> tuple[_Code, ...]:
    """The codes of `vocabulary` among `codings` of `system` (or with no system); others are ignored."""
    known = {member.value for member in vocabulary}
    systems = (None, system)
    return _unique(
        vocabulary(coding.code) for coding in codings if coding.code in known and coding.system in systems
    )


def _unique(values: Iterable[_Value]) -> tuple[_Value, ...]:
    return tuple(dict.fromkeys(values))


def _specialties(concepts: Iterable[Resource] | None) -> tuple[Specialty, ...]:
    """TRE_R38 codes (with their display as text), else the editor's text."""
    found: list[Specialty] = []
    for concept in concepts or ():
        coded = next((c for c in concept.coding or () if c.system == SPECIALTY_SYSTEM and c.code), None)
        if coded is not None:
            found.append(Specialty(coded.code, concept.text or coded.display))
            continue
        text = concept.text or next((c.display for c in concept.coding or () if c.display), None)
        if text:
            found.append(Specialty(None, text))
    return _unique(found)


URL_MAX = 2048  # longer is no booking URL a browser would follow


def _web_url(comment: str | None) -> str | None:
    """The booking URL: only an http(s) URL is kept (a regulator is redirected to it)."""
    if comment is None:
        return None
    url = comment.strip()
    usable = url.lower().startswith(("https://", "http://")) and " " not in url and len(url) <= URL_MAX
    return url if usable else None


def _phone(telecom: Iterable[Resource] | None) -> str | None:
    return next((point.value for point in telecom or () if point.system == "phone" and point.value), None)


def _name(practitioner: Resource) -> PractitionerName | None:
    names = practitioner.name or ()
    name = next((n for n in names if n.use == "official"), names[0] if names else None)
    if name is None or not (name.family or name.given):
        return None
    return PractitionerName(name.family, tuple(name.given or ()))


def _place(location: Resource, holder: Resource, structure_id: str | None, phone: str | None) -> Place:
    address = location.address
    return Place(
        location_id=_location_id(location, holder),
        name=location.name,
        address_lines=tuple(line for line in (address.line or ()) if line) if address else (),
        postal_code=address.postalCode if address else None,
        city=address.city if address else None,
        position=_position(location.position),
        structure_id=structure_id,
        phone=phone,
    )


def _location_id(location: Resource, holder: Resource) -> str | None:
    if not location.id:
        return None
    if holder is location:
        return f"Location/{location.id}"
    return f"{holder.get_resource_type()}/{holder.id}#{location.id}" if holder.id else None


def _position(position: Resource | None) -> Position | None:
    """The editor's coordinates when they are on Earth; otherwise none (the place is geocoded instead)."""
    if position is None:
        return None
    latitude: Decimal = position.latitude
    longitude: Decimal = position.longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Position(lat=float(latitude), lon=float(longitude))
