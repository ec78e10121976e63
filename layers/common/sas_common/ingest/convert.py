"""An editor's slot as read from its Bundle (`fhir.model.EditorSlot`) → the platform's `slots.model.Slot`.

Plain values only, no storage. What is decided here:
- the source and `editor_id` are the editor's id, `editor_level` its integration level (territory file);
- the owner (`Slot.national_id`) is the doctor, or for an SOS site's slot the association, as `3` + SIRET
  (its structure identifier: never a national id's shape), with the doctor on duty, if named, as
  `doctor_id`;
- ActCode AMB/VR/HH → cabinet/teleconsultation/domicile; a slot that names none is a cabinet slot;
- a slot without a visibility type keeps the model's default (SNP: dedicated to SAS regulation);
- the place id is stable between polls: a hash of the editor's own Location id, else of the structure
  (FINESS/SIRET), else of the address; a slot without any of these has no place;
- the position is the editor's when it sends one; `placed` then sets the place the platform keeps
  (sas_common.ingest.places: a known place, or one made and geocoded from the editor's data) and its
  position; a slot without a position gets no `cell_day`, a teleconsultation slot still its `tele_day`;
- the slot key is the editor's slot id, hashed when longer than the model allows;
- free-text reasons are kept (whitespace collapsed, each cut at `SLOT_TEXT_MAX` characters, the first
  `SLOT_REASONS_MAX`), and the specialty's text only when the editor sends no TRE_R38 code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sas_common.effecteurs.model import Effecteur, Position, known_from_editor
from sas_common.fhir.codes import ConsultationCode, siret_idnst
from sas_common.fhir.model import EditorSlot, Place, PractitionerName
from sas_common.slots.model import (
    SLOT_REASONS_MAX,
    SLOT_TEXT_MAX,
    ConsultationType,
    Slot,
    SlotMode,
    Visibility,
)
from sas_common.territory import EditorConfig

CONSULTATION_TYPES: dict[ConsultationCode, ConsultationType] = {
    ConsultationCode.AMB: ConsultationType.CABINET,
    ConsultationCode.VR: ConsultationType.TELECONSULTATION,
    ConsultationCode.HH: ConsultationType.DOMICILE,
}
DEFAULT_CONSULTATION = (ConsultationType.CABINET,)
DEFAULT_VISIBILITY = (Visibility.SNP,)
PLACE_ID_PREFIX = "ed-"
SLOT_KEY_MAX = 200


@dataclass(frozen=True, slots=True)
class Placement:
    """The stored place an editor's slot takes place at, and the position the slot carries."""

    place_id: str
    position: Position | None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def place_id(editor_id: str, place: Place | None) -> str | None:
    """A stable id of the editor's place: the same Location (or structure, or address) gives the same id."""
    if place is None:
        return None
    basis: tuple[str, ...]
    if place.location_id:
        basis = ("location", place.location_id)
    elif place.structure_id:
        basis = ("structure", place.structure_id)
    elif place.address_lines or place.postal_code or place.city:
        basis = ("address", place.address.lower(), place.postal_code or "", (place.city or "").lower())
    else:
        return None
    return PLACE_ID_PREFIX + _digest(editor_id, *basis)[:20]


def bounded(text: str | None) -> str | None:
    """An editor's text as the platform keeps it (a place's, a doctor's name): at most SLOT_TEXT_MAX
    characters."""
    return _bounded(text) if text is not None else None


def _bounded(text: str) -> str:
    """An editor's free text as a slot keeps it: trimmed, at most SLOT_TEXT_MAX characters."""
    text = " ".join(text.split())
    return text if len(text) <= SLOT_TEXT_MAX else text[: SLOT_TEXT_MAX - 1] + "…"


def slot_key(editor_slot_id: str) -> str:
    if len(editor_slot_id) <= SLOT_KEY_MAX:
        return editor_slot_id
    return "h-" + _digest(editor_slot_id)[:40]


def owner_of(slot: EditorSlot) -> str | None:
    """Whose slot it is: the SOS association (`3` + SIRET) for an SOS site's slot, else the doctor."""
    return siret_idnst(slot.sos.siret) if slot.sos is not None else slot.national_id


def to_slot(editor: EditorConfig, slot: EditorSlot) -> Slot:
    """The platform's slot; ValueError when it has no owner (a doctor's slot that names no doctor)."""
    owner = owner_of(slot)
    if owner is None:
        raise ValueError(f"slot {slot.slot_id} names no doctor")
    consultation = tuple(CONSULTATION_TYPES[code] for code in slot.consultation_types)
    visibility = tuple(Visibility(value.value) for value in slot.visibility)
    specialty = next((s.code for s in slot.specialties if s.code), None)
    specialty_text = next((s.text for s in slot.specialties if s.text), None) if specialty is None else None
    reasons = tuple(dict.fromkeys(_bounded(reason) for reason in slot.reasons if reason.strip()))
    return Slot(
        source=editor.id,
        national_id=owner,
        slot_key=slot_key(slot.slot_id),
        start=slot.start,
        end=slot.end,
        consultation_types=consultation or DEFAULT_CONSULTATION,
        visibility=visibility or DEFAULT_VISIBILITY,
        mode=SlotMode.SLOTS,
        walk_in=slot.walk_in,
        place_id=place_id(editor.id, slot.place),
        position=slot.place.position if slot.place is not None else None,
        specialty_code=specialty,
        specialty_text=_bounded(specialty_text) if specialty_text else None,
        reasons=reasons[:SLOT_REASONS_MAX] or None,
        booking_url=slot.booking_url,
        editor_id=editor.id,
        editor_level=int(editor.level),
        doctor_id=slot.national_id if slot.sos is not None else None,
    )


def placed(slot: Slot, placement: Placement | None) -> Slot:
    """The slot at the place the platform keeps for it (unchanged without a placement)."""
    if placement is None:
        return slot
    return slot.model_copy(update={"place_id": placement.place_id, "position": placement.position})


def editor_doctor(editor_id: str, national_id: str, name: PractitionerName | None) -> Effecteur:
    """The profile of a doctor the directory does not list, from the editor's Practitioner: national id
    and names only, flagged as the editor's (a directory import that lists them takes them over)."""
    return Effecteur(
        national_id=national_id,
        last_name=bounded(name.family or "") or "" if name else "",
        first_name=bounded(" ".join(name.given)) or None if name else None,
        in_directory=False,
        known_from=known_from_editor(editor_id),
    )
