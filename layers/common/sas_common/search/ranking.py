"""What a search shows and in which order: plain functions, no I/O.

**Order — neutral, and the same for everyone** (docs/domain.md, "Search"): the regulator's priority first,
then nearness and earliness, then a tie-break that favours no editor and no doctor.
1. Group: the patient's treating doctor's slots (when `treating_doctor` is given), then slots seen in
   person (at the practice or at home), then teleconsultation-only slots — unless only teleconsultation was
   asked for, when they are the in-person group's equals.
2. Distance band: 0–5, 5–10, 10–20, over 20 km from the patient (teleconsultation-only slots: one band,
   distance does not matter for them).
3. Earliest start.
4. Tie-break: a checksum of the slot's key and the search's local day — two editors' (or two doctors')
   identical slots come in an order that changes from day to day and that nobody chooses. Never by editor,
   never by who pays.

**Hidden, always**: slots that have ended; slots held or booked, and ranges whose capacity is used up;
editor slots whose owner's current declaration no longer shows that editor; slots at a place during its
unavailability; slots at a place outside the territory's departments.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from sas_common.agenda.unavailability import Unavailability
from sas_common.effecteurs.model import Place, Position
from sas_common.geo import distance_km, haversine_km
from sas_common.geocoding.codes import department_of_postal_code
from sas_common.participation.rules import Declaration, StructureDeclaration, polled_editors, shown_editors
from sas_common.search.query import SlotQuery
from sas_common.slots.keys import MANUAL_SOURCE
from sas_common.slots.model import ConsultationType, IndexedSlot, Slot
from sas_common.territory import EditorLevel

DISTANCE_BANDS_KM = (5.0, 10.0, 20.0)
IN_PERSON = frozenset({ConsultationType.CABINET, ConsultationType.DOMICILE})
IN_PERSON_VALUES = frozenset(kind.value for kind in IN_PERSON)
TELE = ConsultationType.TELECONSULTATION.value


class Group(IntEnum):
    TREATING_DOCTOR = 0
    IN_PERSON = 1
    TELECONSULTATION = 2


class BookingMode(StrEnum):
    DIRECT = "direct"  # a level-2 editor: booked from the platform
    REDIRECT = "redirect"  # a level-1 editor's booking page (the URL gets origin=sas)
    PHONE = "phone"  # a manual slot, or an editor slot with neither: the regulator phones


@dataclass(frozen=True, slots=True)
class Candidate:
    """A slot found by the index Queries, before its owner's data is read."""

    slot: IndexedSlot
    distance_km: float | None  # from the patient; None for a slot offered as teleconsultation only
    teleconsultation_only: bool  # offers no in-person visit, or its place is beyond the radius


def candidate(slot: IndexedSlot, query: SlotQuery, now: datetime) -> Candidate | None:
    """The slot as a candidate, or None when what it says alone excludes it: ended, taken, outside the
    window, beyond the radius without teleconsultation, or not what was asked."""
    if slot.end <= now or slot.places_left <= 0 or not query.start <= slot.start < query.end:
        return None
    if not matches(slot, query):
        return None
    in_person = bool(IN_PERSON_VALUES & slot.consultation_types)
    center = query.area.center
    distance = (
        haversine_km(center.lat, center.lon, slot.lat, slot.lon)
        if slot.lat is not None and slot.lon is not None
        else None
    )
    if in_person and distance is not None and distance <= query.area.radius_km:
        return Candidate(slot, distance, teleconsultation_only=False)
    if TELE in slot.consultation_types and (
        not query.consultation_types or ConsultationType.TELECONSULTATION in query.consultation_types
    ):
        return Candidate(slot, None, teleconsultation_only=True)  # too far to go, near enough to call
    return None


def matches(slot: IndexedSlot, query: SlotQuery) -> bool:
    """The criteria a slot answers by itself (its specialty too, when it names one)."""
    if (
        query.consultation_types
        and not {kind.value for kind in query.consultation_types} & slot.consultation_types
    ):
        return False
    if query.walk_in is not None and slot.walk_in is not query.walk_in:
        return False
    if query.visibility and not {kind.value for kind in query.visibility} & slot.visibility:
        return False
    return specialty_matches(query.specialty, slot.specialty_code, slot.specialty_text) is not False


def specialty_matches(asked: str | None, code: str | None, text: str | None) -> bool | None:
    """True or False when the slot says, None when it names no specialty (its doctor's card will say)."""
    if asked is None:
        return True
    if code is None and text is None:
        return None
    wanted = asked.strip().casefold()
    return (code or "").casefold() == wanted or (text is not None and wanted in text.casefold())


def group(found: Candidate, query: SlotQuery) -> Group:
    treating = query.treating_doctor
    if treating is not None and treating in (found.slot.owner, found.slot.doctor_id):
        return Group.TREATING_DOCTOR
    if found.teleconsultation_only and not query.only_teleconsultation:
        return Group.TELECONSULTATION
    return Group.IN_PERSON


def band(distance: float | None) -> int:
    """0 for 0–5 km, 1 for 5–10, 2 for 10–20, 3 beyond (and for a slot without distance)."""
    if distance is None:
        return len(DISTANCE_BANDS_KM)
    return next(
        (index for index, bound in enumerate(DISTANCE_BANDS_KM) if distance <= bound), len(DISTANCE_BANDS_KM)
    )


def tie_break(slot_key: str, search_day: date) -> int:
    """A number no editor or doctor chooses, that changes from day to day (CRC-32 of the slot's key and
    the day: cheap, stable across processes and pages)."""
    return zlib.crc32(f"{slot_key}|{search_day.isoformat()}".encode())


def order_key(
    found: Candidate, query: SlotQuery, search_day: date
) -> tuple[int, int, datetime, int, str, str]:
    """Group, distance band, start, tie-break — and, should two checksums be equal, the slot's key: the order
    is total, so that every page of a search sees the same order however its slots were read."""
    kind = group(found, query)
    distance_band = 0 if found.teleconsultation_only else band(found.distance_km)
    slot = found.slot
    return (kind, distance_band, slot.start, tie_break(f"{slot.pk}|{slot.sk}", search_day), slot.pk, slot.sk)


def ordered(candidates: list[Candidate], query: SlotQuery, search_day: date) -> list[Candidate]:
    return sorted(candidates, key=lambda found: order_key(found, query, search_day))


def booking(slot: Slot) -> tuple[BookingMode, str | None]:
    """How the regulator books this slot, and the booking page for a redirect (with `origin=sas`)."""
    if slot.source == MANUAL_SOURCE or slot.editor_level is None:
        return BookingMode.PHONE, None
    if slot.editor_level == EditorLevel.END_TO_END_BOOKING:
        return BookingMode.DIRECT, None
    if slot.booking_url:
        return BookingMode.REDIRECT, with_origin(slot.booking_url)
    return BookingMode.PHONE, None


def with_origin(url: str) -> str:
    """The editor's booking URL with `origin=sas` (replacing any origin the editor put)."""
    parts = urlsplit(url)
    query = [
        (name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != "origin"
    ]
    return urlunsplit(parts._replace(query=urlencode([*query, ("origin", "sas")])))


@dataclass(frozen=True)
class OwnerFacts:
    """What the page's owners' items say (read together): the current declaration, the place, its
    unavailability, and the doctor's specialty for slots that name none."""

    declaration: Declaration | StructureDeclaration | None
    place: Place | None
    unavailability: Unavailability | None
    specialty_code: str | None = None
    specialty_label: str | None = None


class Hidden(StrEnum):
    EDITOR_NOT_SHOWN = "editor_not_shown"
    PLACE_UNAVAILABLE = "place_unavailable"
    OUTSIDE_TERRITORY = "outside_territory"
    SPECIALTY = "specialty"


def hidden(
    slot: Slot, facts: OwnerFacts, query: SlotQuery, departments: Collection[str], zone: ZoneInfo
) -> Hidden | None:
    """Why a candidate must not be shown once its owner's items are read, or None."""
    if slot.source != MANUAL_SOURCE and slot.source not in shown(facts.declaration):
        return Hidden.EDITOR_NOT_SHOWN
    if facts.unavailability is not None and facts.unavailability.active_at(slot.start, zone):
        return Hidden.PLACE_UNAVAILABLE
    department = (
        department_of_postal_code(facts.place.postal_code)
        if facts.place and facts.place.postal_code
        else None
    )
    if department is not None and department not in departments:
        return Hidden.OUTSIDE_TERRITORY
    specialty = specialty_matches(query.specialty, slot.specialty_code, slot.specialty_text)
    if specialty is None and not specialty_matches(
        query.specialty, facts.specialty_code, facts.specialty_label
    ):
        return Hidden.SPECIALTY
    return None


def shown(declaration: Declaration | StructureDeclaration | None) -> frozenset[str]:
    """The editors whose slots an owner's current declaration shows."""
    if isinstance(declaration, Declaration):
        return shown_editors(declaration)
    if isinstance(declaration, StructureDeclaration):
        return polled_editors(declaration)
    return frozenset()


def place_distance(center: Position, place: Place | None) -> float | None:
    return distance_km(center, place.position) if place is not None and place.position is not None else None
