"""The demo territory's data: a few effecteurs around Toulouse, so a fresh `make run` has data."""

from __future__ import annotations

from datetime import UTC, datetime

from sas_common.agenda import service
from sas_common.agenda.model import AvailabilityInput
from sas_common.agenda.service import local_today
from sas_common.auth import Principal, Role
from sas_common.effecteurs.model import Effecteur, Place, Position, RegulatorInfo
from sas_common.participation import service as participation
from sas_common.participation.rules import Declaration, Modality
from sas_common.runtime import Runtime
from sas_common.territory import EditorConfig, EditorKind, TerritoryConfig

DEMO_EFFECTEURS: tuple[tuple[Effecteur, list[Place]], ...] = (
    (
        Effecteur(
            national_id="810000000001",
            last_name="MARTIN",
            first_name="Claire",
            profession_code="10",
            specialty_code="SM54",
            specialty_label="Médecine générale",
            phone="0561000001",
            regulator_info=RegulatorInfo(text="Appeler entre deux consultations", phones=["0611000001"]),
        ),
        [
            Place(
                id="p1",
                name="Cabinet Capitole",
                address="1 place du Capitole",
                postal_code="31000",
                city="Toulouse",
                commune_code="31555",
                position=Position(lat=43.6045, lon=1.4440),
                phone="0561000001",
            )
        ],
    ),
    (
        Effecteur(
            national_id="810000000002",
            last_name="BERNARD",
            first_name="Luc",
            profession_code="10",
            specialty_code="SM54",
            specialty_label="Médecine générale",
            phone="0561000002",
        ),
        [
            Place(
                id="p1",
                name="Maison de santé Rangueil",
                address="10 avenue de Rangueil",
                postal_code="31400",
                city="Toulouse",
                commune_code="31555",
                position=Position(lat=43.5800, lon=1.4600),
                structure_ids=["31MSP0001"],
            ),
            Place(
                id="p2",
                name="Cabinet de Blagnac",
                address="5 rue Pasteur",
                postal_code="31700",
                city="Blagnac",
                commune_code="31069",
                position=Position(lat=43.6370, lon=1.3900),
            ),
        ],
    ),
)


def editor_synced_effecteur(territory: TerritoryConfig) -> tuple[str, EditorConfig] | None:
    """BERNARD and the territory's first individual-doctor editor, which he declares (none: no editor)."""
    editor = next((editor for editor in territory.editors if editor.kind is EditorKind.PS), None)
    return (DEMO_EFFECTEURS[1][0].national_id, editor) if editor else None


def seed_demo(rt: Runtime, now: datetime | None = None) -> int:
    """The demo effecteurs; MARTIN declares participation without software and opens a weekday agenda
    (slots every 20 min, 09:00–12:00, from today), so search has manual slots from the first start;
    BERNARD declares the territory's first individual-doctor editor, whose slots a poll brings."""
    now = now or datetime.now(UTC)
    for effecteur, places in DEMO_EFFECTEURS:
        rt.effecteurs.put_effecteur(effecteur, places)
    cards = {
        effecteur.national_id: rt.effecteurs.load_card(effecteur.national_id)
        for effecteur, _ in DEMO_EFFECTEURS
    }
    martin = DEMO_EFFECTEURS[0][0].national_id
    card = cards[martin]
    assert card is not None
    declaration = Declaration(
        participates=True, modality=Modality.INDIVIDUAL, uses_interfaced_software=False, honour_two_hours=True
    )
    participation.declare(rt, card, declaration, by="seed")
    agenda = AvailabilityInput.model_validate(
        {
            "place_id": "p1",
            "date": local_today(rt, now).isoformat(),
            "start": "09:00",
            "end": "12:00",
            "mode": "slots",
            "slot_minutes": 20,
            "consultation_types": ["cabinet", "teleconsultation"],
            "recurrence_weekdays": [0, 1, 2, 3, 4],
        }
    )
    service.create(rt, card, Principal(martin, Role.EFFECTEUR), agenda, now=now, idempotency_key="demo-seed")
    synced = editor_synced_effecteur(rt.territory)
    if synced is not None:
        bernard, editor = synced
        bernard_card = cards[bernard]
        assert bernard_card is not None
        participation.declare(
            rt,
            bernard_card,
            Declaration(
                participates=True,
                modality=Modality.INDIVIDUAL,
                uses_interfaced_software=True,
                editors=[editor.id],
            ),
            by="seed",
        )
    return len(DEMO_EFFECTEURS)
