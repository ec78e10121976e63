"""What an editor's answer decides before anything is stored, without AWS: whose slots are taken (owner
classification), which slots are taken or rejected and why, whom a batch asks, and when a poll stops
asking for pages."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from fhir_samples import DOCTOR, SLOT_LENGTH, START
from sas_common.effecteurs.model import Place
from sas_common.fhir.codes import AppointmentType, ConsultationCode, SlotVisibility
from sas_common.fhir.model import EditorSlot, MappingResult, Rejection, RejectionCode, SosAssociation
from sas_common.ingest.apply import Owner, association_owner, effecteur_owner, select_slots
from sas_common.ingest.poll import (
    MAX_PAGES,
    _BatchDeferred,
    asked_ids,
    page_problem,
    page_seconds,
    search_url,
)
from sas_common.participation.rules import Declaration, Modality, StructureDeclaration, StructureKind
from sas_common.tables import effecteur_pk, structure_pk
from sas_common.territory import EditorConfig, EditorKind, EditorLevel

SIRET = "12345678901234"
EDITOR = EditorConfig(
    id="ed-one",
    name="Editor one",
    kind=EditorKind.PS,
    level=EditorLevel.END_TO_END_BOOKING,
    fhir_base_url="https://editor.example/fhir",
    poll_every_minutes=5,
)
SOS_EDITOR = EDITOR.model_copy(update={"id": "sos-ed", "kind": EditorKind.SOS})
PLACES = [Place(id="p1", address="1 rue de Metz")]
BASE = "https://editor.example/fhir"
WINDOW = (START - timedelta(hours=1), START + timedelta(hours=48))


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
        specialties=(),
        booking_url=None,
        place=None,
        practitioner=None,
    )
    return dataclasses.replace(base, **changes)


def shows(*editors: str, refuses: bool = False) -> Declaration:
    return Declaration(
        participates=True,
        modality=Modality.INDIVIDUAL,
        uses_interfaced_software=True,
        editors=list(editors),
        refuses_editor_slots=refuses,
        honour_two_hours=refuses,
    )


@pytest.mark.parametrize(
    ("known", "declaration", "refusal", "replaced", "places"),
    [
        pytest.param(False, None, RejectionCode.UNKNOWN_EFFECTEUR, False, [], id="unknown: nothing stored"),
        pytest.param(True, None, RejectionCode.NOT_DECLARED, True, [], id="never declared: slots go"),
        pytest.param(True, shows("other"), RejectionCode.NOT_DECLARED, True, [], id="another editor"),
        pytest.param(True, shows("ed-one", refuses=True), RejectionCode.NOT_DECLARED, True, [], id="refused"),
        pytest.param(True, shows("ed-one"), None, True, PLACES, id="shows this editor: taken"),
    ],
)
def test_a_doctor_asked_is_taken_only_when_known_and_showing_the_editor(
    known: bool,
    declaration: Declaration | None,
    refusal: RejectionCode | None,
    replaced: bool,
    places: list[Place],
) -> None:
    owner = effecteur_owner("ed-one", DOCTOR, known=known, declaration=declaration, places=PLACES)
    assert (owner.owner_id, owner.pk) == (DOCTOR, effecteur_pk(DOCTOR))
    assert (owner.refusal.code if owner.refusal else None) == refusal
    assert owner.replaced is replaced
    assert owner.places == places


def sos(participates: bool = True, editors: tuple[str, ...] = ("sos-ed",)) -> StructureDeclaration:
    return StructureDeclaration(
        kind=StructureKind.SOS_MEDECINS,
        structure_name="SOS",
        participates=participates,
        doctors=2,
        honour_two_hours_per_doctor=participates,
        editors=list(editors),
    )


@pytest.mark.parametrize(
    ("asked", "declaration", "refusal", "replaced"),
    [
        pytest.param("not-a-siret", None, RejectionCode.NOT_DECLARED, False, id="not a SIRET"),
        pytest.param(SIRET, None, RejectionCode.NOT_DECLARED, False, id="never declared: nothing stored"),
        pytest.param(
            SIRET, sos(participates=False), RejectionCode.NOT_DECLARED, True, id="not participating"
        ),
        pytest.param(SIRET, sos(editors=("other",)), RejectionCode.NOT_DECLARED, True, id="another editor"),
        pytest.param(SIRET, sos(), None, True, id="lists this editor: taken"),
    ],
)
def test_an_association_asked_is_taken_only_when_participating_with_the_editor(
    asked: str, declaration: StructureDeclaration | None, refusal: RejectionCode | None, replaced: bool
) -> None:
    owner = association_owner("sos-ed", asked, declaration)
    assert (owner.refusal.code if owner.refusal else None) == refusal
    assert owner.replaced is replaced
    if asked == SIRET:
        assert (owner.owner_id, owner.pk) == ("3" + SIRET, structure_pk(SIRET))


def taken_owner() -> Owner:
    return effecteur_owner("ed-one", DOCTOR, known=True, declaration=shows("ed-one"), places=PLACES)


def refused_owner() -> Owner:
    return effecteur_owner("ed-one", DOCTOR, known=True, declaration=None, places=[])


@pytest.mark.parametrize(
    ("slot_changes", "owners", "code"),
    [
        pytest.param({}, {DOCTOR: taken_owner()}, None, id="taken"),
        pytest.param(
            {"national_id": None}, {DOCTOR: taken_owner()}, RejectionCode.NO_NATIONAL_ID, id="no doctor"
        ),
        pytest.param({}, {}, RejectionCode.NOT_DECLARED, id="not asked"),
        pytest.param({}, {DOCTOR: refused_owner()}, RejectionCode.NOT_DECLARED, id="owner refused"),
        pytest.param(
            {"start": WINDOW[1], "end": WINDOW[1] + SLOT_LENGTH},
            {DOCTOR: taken_owner()},
            RejectionCode.OUTSIDE_WINDOW,
            id="starts at the window's end",
        ),
        pytest.param(
            {"start": WINDOW[0] - timedelta(minutes=1)},
            {DOCTOR: taken_owner()},
            RejectionCode.OUTSIDE_WINDOW,
            id="starts before the window",
        ),
        pytest.param(
            {"national_id": "not-an-id"},
            {"not-an-id": taken_owner()},
            RejectionCode.INVALID_RESOURCE,
            id="not a platform slot",
        ),
    ],
)
def test_each_slot_is_taken_or_rejected_with_its_reason(
    slot_changes: dict[str, Any], owners: dict[str, Owner], code: RejectionCode | None
) -> None:
    slot = editor_slot(entry_index=3, **slot_changes)
    mapping_rejection = Rejection(0, "broken", RejectionCode.BROKEN_REFERENCE)
    taken, rejected = select_slots(EDITOR, MappingResult([slot], [mapping_rejection]), owners, *WINDOW)
    assert rejected[0] == mapping_rejection  # the mapping's own rejections come first
    if code is None:
        assert [(owner.owner_id, found.slot_id, converted.source) for owner, found, converted in taken] == [
            (DOCTOR, "slot-1", "ed-one")
        ]
        assert rejected[1:] == []
    else:
        assert taken == []
        assert [(rejection.index, rejection.code) for rejection in rejected[1:]] == [(3, code)]


def test_an_sos_slot_is_about_its_association_and_one_without_is_rejected() -> None:
    association = association_owner("sos-ed", SIRET, sos())
    site_slot = editor_slot(sos=SosAssociation(SIRET, "SOS", None), national_id=None)
    nameless = dataclasses.replace(site_slot, sos=None, entry_index=1)
    taken, rejected = select_slots(
        SOS_EDITOR, MappingResult([site_slot, nameless], []), {SIRET: association}, *WINDOW
    )
    assert [(owner.owner_id, converted.national_id) for owner, _, converted in taken] == [("3" + SIRET,) * 2]
    assert [(rejection.index, rejection.code) for rejection in rejected] == [
        (1, RejectionCode.NO_ASSOCIATION)
    ]


def test_an_sos_editor_is_asked_about_sirets_only_a_doctors_editor_about_everyone() -> None:
    ids = [DOCTOR, SIRET, "3" + SIRET]
    assert asked_ids(SOS_EDITOR, ids) == [SIRET]
    assert asked_ids(EDITOR, ids) == ids


def test_the_search_asks_the_window_now_to_48_hours_of_the_ids_at_the_editors_base() -> None:
    url = search_url(EDITOR, [DOCTOR], START)
    assert url.startswith("https://editor.example/fhir/Slot?")
    assert DOCTOR in url
    assert "status=free" in url
    sos_url = search_url(SOS_EDITOR, [SIRET], START)
    assert sos_url.startswith("https://editor.example/fhir/Schedule?")


@pytest.mark.parametrize(
    ("url", "pages_read", "seconds_left", "problem"),
    [
        pytest.param("https://editor.example/fhir/Slot?page=2", 0, None, None, id="first page"),
        pytest.param(
            "https://editor.example/fhir/Slot?page=2", MAX_PAGES - 1, None, None, id="the last allowed"
        ),
        pytest.param(
            "https://editor.example/x", MAX_PAGES, None, "more than 20 pages", id="one page too many"
        ),
        pytest.param(
            "https://elsewhere.example/fhir/Slot", 1, None, "outside the editor's base URL", id="away"
        ),
        pytest.param(
            "http://editor.example/fhir/Slot", 1, None, "outside the editor's base URL", id="scheme"
        ),
        pytest.param("https://editor.example/fhir/Slot", 1, "just enough", None, id="time enough"),
        pytest.param("https://editor.example/fhir/Slot", 1, "just short", "deferred", id="time short"),
    ],
)
def test_a_poll_stops_asking_for_pages_at_its_limits(
    url: str, pages_read: int, seconds_left: str | None, problem: str | None
) -> None:
    needed = page_seconds(EDITOR) + 10.0  # one page's worst case, and the time kept to apply the answer
    left = {None: None, "just enough": needed, "just short": needed - 0.01}[seconds_left]
    found = page_problem(EDITOR, url, pages_read, (lambda: left) if left is not None else None)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found.reason
        assert isinstance(found, _BatchDeferred) == (problem == "deferred")
