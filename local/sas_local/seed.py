"""The demo territory's data: a few effecteurs around Toulouse, so a fresh `make run` has data."""

from __future__ import annotations

from sas_common.effecteurs import store
from sas_common.effecteurs.model import Effecteur, Place, Position, RegulatorInfo

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


def seed_demo() -> int:
    for effecteur, places in DEMO_EFFECTEURS:
        store.put_effecteur(effecteur, places)
    return len(DEMO_EFFECTEURS)
