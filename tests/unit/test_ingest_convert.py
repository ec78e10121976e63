"""EditorSlot → Slot: source and level, consultation types, visibility, place id, position, keys."""

from __future__ import annotations

import dataclasses
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from fhir_samples import BOOKING_URL, DOCTOR, SLOT_LENGTH, START, STRUCTURE
from sas_common.effecteurs.model import Position
from sas_common.fhir.codes import AppointmentType, ConsultationCode, SlotVisibility
from sas_common.fhir.model import EditorSlot, Place, SosAssociation, Specialty
from sas_common.ingest.convert import PLACE_ID_PREFIX, SLOT_KEY_MAX, place_id, to_slot
from sas_common.slots.model import (
    SLOT_REASONS_MAX,
    SLOT_TEXT_MAX,
    ConsultationType,
    Slot,
    Visibility,
    content_item,
    search_keys,
    slot_of,
)
from sas_common.territory import EditorConfig, EditorKind, EditorLevel

PARIS = ZoneInfo("Europe/Paris")
EDITOR = EditorConfig(
    id="ed-one",
    name="Editor one",
    kind=EditorKind.PS,
    level=EditorLevel.END_TO_END_BOOKING,
    fhir_base_url="https://editor.example/fhir",
    poll_every_minutes=5,
)
PLACE = Place(
    location_id="PractitionerRole/role-1#loc",
    name="Cabinet",
    address_lines=("1 rue de Metz",),
    postal_code="31000",
    city="Toulouse",
    position=Position(lat=43.6, lon=1.44),
    structure_id=STRUCTURE,
    phone=None,
)


def editor_slot(**changes: Any) -> EditorSlot:
    base = EditorSlot(
        entry_index=0,
        slot_id="slot-1",
        national_id=DOCTOR,
        start=START,
        end=START + SLOT_LENGTH,
        visibility=(SlotVisibility.SNP,),
        consultation_types=(ConsultationCode.AMB,),
        reasons=(),
        appointment_type=AppointmentType.ROUTINE,
        specialties=(Specialty(None, "médecine générale"), Specialty("SM54", "Médecine générale")),
        booking_url=BOOKING_URL,
        place=PLACE,
        practitioner=None,
    )
    return dataclasses.replace(base, **changes)


def test_the_editor_is_the_source_with_its_level() -> None:
    slot = to_slot(EDITOR, editor_slot())
    assert (slot.source, slot.editor_id, slot.editor_level) == ("ed-one", "ed-one", 2)
    assert (slot.national_id, slot.slot_key, slot.start, slot.end) == (
        DOCTOR,
        "slot-1",
        START,
        START + SLOT_LENGTH,
    )
    assert slot.booking_url == BOOKING_URL
    assert slot.specialty_code == "SM54"  # the first coded specialty
    assert slot.position == PLACE.position


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ((ConsultationCode.AMB,), (ConsultationType.CABINET,)),
        ((ConsultationCode.VR,), (ConsultationType.TELECONSULTATION,)),
        ((ConsultationCode.HH,), (ConsultationType.DOMICILE,)),
        (
            (ConsultationCode.AMB, ConsultationCode.VR),
            (ConsultationType.CABINET, ConsultationType.TELECONSULTATION),
        ),
        ((), (ConsultationType.CABINET,)),  # none named: at the practice
    ],
)
def test_consultation_types(
    codes: tuple[ConsultationCode, ...], expected: tuple[ConsultationType, ...]
) -> None:
    assert to_slot(EDITOR, editor_slot(consultation_types=codes)).consultation_types == expected


@pytest.mark.parametrize(
    ("visibility", "expected"),
    [
        ((SlotVisibility.PUBLIC, SlotVisibility.CPTS), (Visibility.PUBLIC, Visibility.CPTS)),
        ((SlotVisibility.PRO,), (Visibility.PRO,)),
        ((), (Visibility.SNP,)),  # none named: the model's default
    ],
)
def test_visibility(visibility: tuple[SlotVisibility, ...], expected: tuple[Visibility, ...]) -> None:
    assert to_slot(EDITOR, editor_slot(visibility=visibility)).visibility == expected


@pytest.mark.parametrize(
    ("appointment_type", "walk_in"),
    [(AppointmentType.WALKIN, True), (AppointmentType.ROUTINE, False), (None, False)],
)
def test_walk_in(appointment_type: AppointmentType | None, walk_in: bool) -> None:
    assert to_slot(EDITOR, editor_slot(appointment_type=appointment_type)).walk_in is walk_in


def test_place_id_is_stable_and_follows_the_location_then_structure_then_address() -> None:
    first = place_id("ed-one", PLACE)
    assert first is not None
    assert first.startswith(PLACE_ID_PREFIX)
    assert place_id("ed-one", dataclasses.replace(PLACE, name="Renamed")) == first
    assert place_id("ed-two", PLACE) != first  # editors' ids are their own
    no_location = dataclasses.replace(PLACE, location_id=None)
    assert place_id("ed-one", no_location) not in (None, first)
    assert place_id("ed-one", dataclasses.replace(no_location, city="Albi")) == place_id(
        "ed-one", no_location
    )
    address_only = dataclasses.replace(no_location, structure_id=None)
    assert place_id("ed-one", address_only) == place_id("ed-one", dataclasses.replace(address_only, name="x"))
    assert place_id("ed-one", dataclasses.replace(address_only, city="Albi")) != place_id(
        "ed-one", address_only
    )
    bare = Place(None, None, (), None, None, None, None, "+33500000000")
    assert place_id("ed-one", bare) is None
    assert place_id("ed-one", None) is None


@pytest.mark.parametrize(
    ("place", "codes", "indexed"),
    [
        (PLACE, (ConsultationCode.AMB,), {"start_sk", "cell", "cell_day"}),
        (
            dataclasses.replace(PLACE, position=None),
            (ConsultationCode.AMB,),
            {"start_sk"},
        ),  # no geocoding yet
        (dataclasses.replace(PLACE, position=None), (ConsultationCode.VR,), {"start_sk", "tele_day"}),
        (None, (ConsultationCode.VR,), {"start_sk", "tele_day"}),
    ],
)
def test_search_keys_follow_the_position(
    place: Place | None, codes: tuple[ConsultationCode, ...], indexed: set[str]
) -> None:
    slot = to_slot(EDITOR, editor_slot(place=place, consultation_types=codes))
    assert set(search_keys(slot, PARIS)) == indexed


def test_long_editor_slot_ids_are_hashed_into_a_key() -> None:
    long_id = "https://editor.example/fhir/Slot/" + "x" * 300
    key = to_slot(EDITOR, editor_slot(slot_id=long_id)).slot_key
    assert len(key) <= SLOT_KEY_MAX
    assert key == to_slot(EDITOR, editor_slot(slot_id=long_id)).slot_key


def test_a_slot_without_a_doctor_is_refused() -> None:
    with pytest.raises(ValueError, match="names no doctor"):
        to_slot(EDITOR, editor_slot(national_id=None))


@pytest.mark.parametrize(
    ("specialties", "code", "text"),
    [
        ((Specialty("SM54", "Médecine générale"),), "SM54", None),  # coded: the code is the fact kept
        ((Specialty(None, "Pédiatrie"), Specialty("SM40", "Pédiatrie")), "SM40", None),
        ((Specialty(None, "médecine générale"),), None, "médecine générale"),  # text only: kept as text
        ((Specialty(None, "  angiologie \n vasculaire "),), None, "angiologie vasculaire"),
        ((), None, None),
    ],
)
def test_the_specialty_is_kept_coded_else_as_text(
    specialties: tuple[Specialty, ...], code: str | None, text: str | None
) -> None:
    slot = to_slot(EDITOR, editor_slot(specialties=specialties))
    assert (slot.specialty_code, slot.specialty_text) == (code, text)


@pytest.mark.parametrize(
    ("reasons", "kept"),
    [
        ((), None),  # none: not an empty list on the item
        (("Suivi grossesse", "Vaccination"), ("Suivi grossesse", "Vaccination")),
        (("Vaccination", "Vaccination"), ("Vaccination",)),
        (("x" * 500,), ("x" * (SLOT_TEXT_MAX - 1) + "…",)),
        (tuple(f"motif {n}" for n in range(15)), tuple(f"motif {n}" for n in range(SLOT_REASONS_MAX))),
    ],
)
def test_free_text_reasons_are_kept_within_bounds(
    reasons: tuple[str, ...], kept: tuple[str, ...] | None
) -> None:
    assert to_slot(EDITOR, editor_slot(reasons=reasons)).reasons == kept


def test_a_manual_slot_item_carries_no_editor_text() -> None:
    manual = to_slot(EDITOR, editor_slot(reasons=(), specialties=())).model_copy(
        update={"source": "manual", "editor_id": None, "editor_level": None}
    )
    item = content_item(manual, PARIS)
    assert "reasons" not in item
    assert "specialty_text" not in item
    with_text = content_item(to_slot(EDITOR, editor_slot(reasons=("Vaccination",))), PARIS)
    assert with_text["reasons"] == ["Vaccination"]
    assert slot_of(with_text).reasons == ("Vaccination",)


ASSOCIATION = SosAssociation("34173748400020", "SOS Médecins Toulouse", None)


@pytest.mark.parametrize(
    ("sos", "national_id", "owner", "doctor"),
    [
        (None, DOCTOR, DOCTOR, None),  # a doctor's slot is theirs
        (ASSOCIATION, None, "334173748400020", None),  # an SOS site's slot: the association's (`3` + SIRET)
        (ASSOCIATION, DOCTOR, "334173748400020", DOCTOR),  # with the doctor on duty it names
    ],
)
def test_the_slots_owner(
    sos: SosAssociation | None, national_id: str | None, owner: str, doctor: str | None
) -> None:
    slot = to_slot(EDITOR, editor_slot(sos=sos, national_id=national_id))
    assert (slot.national_id, slot.doctor_id) == (owner, doctor)
    assert slot.key["pk"] == f"SRC#ed-one#{owner}"


@pytest.mark.parametrize("owner", ["334173748400020", DOCTOR, "0123456789"])
def test_a_slot_owner_is_a_national_id_or_an_associations_idnst(owner: str) -> None:
    assert (
        Slot.model_validate({**to_slot(EDITOR, editor_slot()).model_dump(), "national_id": owner}).national_id
        == owner
    )


@pytest.mark.parametrize("owner", ["34173748400020", "3341737484", "112345678901", "3" + "1" * 15])
def test_other_owner_shapes_are_refused(owner: str) -> None:
    with pytest.raises(ValidationError):
        Slot.model_validate({**to_slot(EDITOR, editor_slot()).model_dump(), "national_id": owner})
