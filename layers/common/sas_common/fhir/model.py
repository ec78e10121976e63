"""What the platform keeps of an editor's slot Bundle: plain values, no FHIR types, no storage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sas_common.effecteurs.model import Position
from sas_common.fhir.codes import AppointmentType, ConsultationCode, SlotVisibility


@dataclass(frozen=True, slots=True)
class Specialty:
    """A TRE_R38 code (`SM54`), or only the editor's text when it sends no code."""

    code: str | None
    text: str | None


@dataclass(frozen=True, slots=True)
class PractitionerName:
    family: str | None
    given: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Place:
    """Where the slot takes place, as the editor describes it (position only if the editor has it)."""

    # The editor's id of the Location, stable between polls when the editor keeps its ids:
    # `Location/<id>`, or `PractitionerRole/<id>#<id>` for a contained Location.
    location_id: str | None
    name: str | None
    address_lines: tuple[str, ...]
    postal_code: str | None
    city: str | None
    position: Position | None
    # FINESS or SIRET of the structure (urn:oid:1.2.250.1.71.4.2.2).
    structure_id: str | None
    phone: str | None

    @property
    def address(self) -> str:
        return ", ".join(self.address_lines)


@dataclass(frozen=True, slots=True)
class CptsService:
    """The CPTS a slot is offered through (HealthcareService → providedBy Organization)."""

    service_id: str | None
    organization_id: str | None  # FINESS or SIRET
    name: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class SosAssociation:
    """The SOS Médecins association that manages a consultation site."""

    siret: str
    name: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class EditorSlot:
    entry_index: int  # in Bundle.entry
    slot_id: str  # the editor's Slot id (its fullUrl when the Slot has no id)
    # The doctor's national id; None only for an SOS site's slot that names no doctor.
    national_id: str | None
    start: datetime  # aware
    end: datetime  # aware, after start
    visibility: tuple[SlotVisibility, ...]
    consultation_types: tuple[ConsultationCode, ...]
    reasons: tuple[str, ...]  # free text of serviceType
    appointment_type: AppointmentType | None
    specialties: tuple[Specialty, ...]
    booking_url: str | None  # http(s) only
    place: Place | None
    practitioner: PractitionerName | None
    cpts: tuple[CptsService, ...] = ()
    sos: SosAssociation | None = None

    @property
    def walk_in(self) -> bool:
        return self.appointment_type is AppointmentType.WALKIN


class RejectionCode(StrEnum):
    UNREADABLE_ENTRY = "unreadable_entry"  # an entry without a resource
    UNEXPECTED_RESOURCE_TYPE = "unexpected_resource_type"
    INVALID_RESOURCE = "invalid_resource"  # the FHIR models reject it
    MISSING_SCHEDULE = "missing_schedule"
    BROKEN_REFERENCE = "broken_reference"
    NO_NATIONAL_ID = "no_national_id"
    AMBIGUOUS_PRACTITIONER = "ambiguous_practitioner"
    NO_LOCATION = "no_location"  # SOS: the schedule names no consultation site
    NO_ASSOCIATION = "no_association"  # SOS: the site names no association SIRET
    NO_SLOT_ID = "no_slot_id"
    DUPLICATE_SLOT = "duplicate_slot"
    INVALID_PERIOD = "invalid_period"
    NOT_FREE = "not_free"
    # Found when the slots are applied (sas_common.ingest.apply), not when the Bundle is read.
    NOT_DECLARED = "not_declared"  # the effecteur did not declare this editor, or refused its display
    UNKNOWN_EFFECTEUR = "unknown_effecteur"  # not in the platform's directory
    OUTSIDE_WINDOW = "outside_window"  # starts outside the window asked (polls)


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int  # in Bundle.entry
    reason: str
    code: RejectionCode


@dataclass(frozen=True, slots=True)
class MappingResult:
    slots: list[EditorSlot]
    rejected: list[Rejection]
    total: int | None = None  # Bundle.total, as the editor counts its matches
    next_url: str | None = None  # Bundle.link `next`: the following page of a search
    messages: tuple[str, ...] = field(default=())  # diagnostics of OperationOutcome entries
