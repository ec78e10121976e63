"""The search capability's HTTP answers (the bodies of `GET /search/slots` and `GET /search/en-sus`)."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from sas_common.answers import is_none
from sas_common.effecteurs.model import Effecteur, Place, RegulatorInfo
from sas_common.search.ranking import BookingMode
from sas_common.search.service import EnSus, Found, SlotPage
from sas_common.slots.model import ConsultationType, SlotMode, Visibility

ANSWER = ConfigDict(extra="forbid", frozen=True)


class EffecteurView(BaseModel):
    """Whom the regulator phones or books with: the doctor (or, for an SOS site, the doctor on duty)."""

    model_config = ANSWER

    national_id: str
    last_name: str
    first_name: str | None
    specialty_code: str | None
    specialty_label: str | None
    phone: str | None
    regulator_info: RegulatorInfo = Field(description="written by the effecteur (or the territory) for you")
    modality: str | None = Field(description="individual, cpts, msp or sos_medecins, as declared")
    in_directory: bool = Field(
        description="false: known from an editor's data, not from the national directory"
    )

    @classmethod
    def of(cls, profile: Effecteur, modality: str | None) -> Self:
        return cls(
            national_id=profile.national_id,
            last_name=profile.last_name,
            first_name=profile.first_name,
            specialty_code=profile.specialty_code,
            specialty_label=profile.specialty_label,
            phone=profile.phone,
            regulator_info=profile.regulator_info,
            modality=modality,
            in_directory=profile.in_directory,
        )


class AssociationView(BaseModel):
    """An SOS Médecins association, whose consultation site the slot is at."""

    model_config = ANSWER

    owner_id: str = Field(description="`3` + SIRET")
    name: str | None = Field(description="as its structure manager declared it")
    phone: str | None = Field(description="the consultation site's")


class PlaceView(BaseModel):
    model_config = ANSWER

    id: str
    name: str | None
    address: str
    postal_code: str | None
    city: str | None
    phone: str | None
    distance_km: float | None = Field(
        description="from the patient; none for a teleconsultation found anywhere"
    )

    @classmethod
    def of(cls, place: Place, distance_km: float | None) -> Self:
        distance = round(distance_km, 2) if distance_km is not None else None
        return cls(
            id=place.id,
            name=place.name,
            address=place.address,
            postal_code=place.postal_code,
            city=place.city,
            phone=place.phone,
            distance_km=distance,
        )


class SlotResult(BaseModel):
    model_config = ANSWER

    slot_id: str = Field(description="what `POST /bookings` takes")
    start: datetime
    end: datetime
    source: str = Field(description="`editor` or `manual`")
    editor_id: str | None
    editor_level: int | None = Field(description="1: slots only; 2: booked from the platform")
    booking: BookingMode = Field(description="direct (level 2), redirect (the editor's page), or phone")
    booking_url: str | None = Field(description="redirect: the editor's booking page, with origin=sas")
    consultation_types: list[ConsultationType]
    visibility: list[Visibility]
    walk_in: bool = Field(description="without appointment")
    mode: SlotMode
    capacity: int | None = Field(description="a range: the patients it takes")
    reasons: list[str] = Field(description="the editor's free-text reasons")
    priority: str = Field(description="treating_doctor, in_person or teleconsultation: the order's group")
    effecteur: EffecteurView | None = Field(
        description="the doctor (an SOS site: the doctor on duty, if named)"
    )
    association: AssociationView | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    place: PlaceView | None

    @classmethod
    def of(cls, found: Found) -> Self:
        slot, owner = found.slot, found.owner
        person = owner.profile or owner.doctor_on_duty
        association = (
            AssociationView(
                owner_id=owner.owner_id,
                name=owner.association_name,
                phone=found.place.phone if found.place else None,
            )
            if owner.profile is None and slot.national_id.startswith("3")
            else None
        )
        return cls(
            slot_id=slot.slot_id,
            start=slot.start,
            end=slot.end,
            source="manual" if slot.editor_id is None else "editor",
            editor_id=slot.editor_id,
            editor_level=slot.editor_level,
            booking=found.booking,
            booking_url=found.booking_url,
            consultation_types=list(slot.consultation_types),
            visibility=list(slot.visibility),
            walk_in=slot.walk_in,
            mode=slot.mode,
            capacity=slot.capacity,
            reasons=list(slot.reasons or ()),
            priority=found.group.name.lower(),
            effecteur=EffecteurView.of(person, owner.modality) if person is not None else None,
            association=association,
            place=PlaceView.of(found.place, found.distance_km) if found.place is not None else None,
        )


class EnSusEntry(BaseModel):
    """An effecteur who accepts patients beyond their availabilities, at one of their places."""

    model_config = ANSWER

    effecteur: EffecteurView
    place: PlaceView

    @classmethod
    def of(cls, entry: EnSus) -> Self:
        return cls(
            effecteur=EffecteurView.of(entry.profile, entry.modality),
            place=PlaceView.of(entry.place, entry.distance_km),
        )


class SearchStats(BaseModel):
    """What the search cost (for ops and benchmarks)."""

    model_config = ANSWER

    index_queries: int
    candidates: int = Field(description="slots found before their owners were read")
    owner_reads: int = Field(description="BatchGetItem requests for this page's owners")


class SlotSearchAnswer(BaseModel):
    model_config = ANSWER

    results: list[SlotResult]
    cursor: str | None = Field(
        description="the next page's: send it back with the same criteria; none: last page"
    )
    en_sus: list[EnSusEntry] | None = Field(
        description="on a first page with fewer than 5 results: the en-sus directory near the patient"
    )
    stats: SearchStats

    @classmethod
    def of(cls, page: SlotPage) -> Self:
        return cls(
            results=[SlotResult.of(found) for found in page.results],
            cursor=page.cursor,
            en_sus=[EnSusEntry.of(entry) for entry in page.en_sus] if page.en_sus is not None else None,
            stats=SearchStats(
                index_queries=page.queries, candidates=page.candidates, owner_reads=sum(page.reads.values())
            ),
        )


class EnSusAnswer(BaseModel):
    model_config = ANSWER

    results: list[EnSusEntry] = Field(description="nearest first")
