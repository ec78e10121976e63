"""The participation declaration and its rules (docs/domain.md, "Participation declaration").

Plain typed Python: the request model, the rules that combine its fields, and what a declaration implies
for the rest of the platform (manual agenda allowed, editor slots shown, declared editors). No AWS here.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sas_common.errors import RuleViolation


class Modality(StrEnum):
    INDIVIDUAL = "individual"
    CPTS = "cpts"
    MSP = "msp"
    SOS_MEDECINS = "sos_medecins"


STRUCTURE_MODALITIES = frozenset({Modality.CPTS, Modality.MSP, Modality.SOS_MEDECINS})


class Rule(StrEnum):
    """Each rule a declaration can break; the 422 names it."""

    MODALITY_REQUIRED = "modality_required"
    STRUCTURE_REQUIRED = "structure_required"
    CPTS_PLACES_REQUIRED = "cpts_places_required"
    UNKNOWN_PLACE = "unknown_place"
    SOFTWARE_ANSWER_REQUIRED = "software_answer_required"
    SOS_NO_SOFTWARE_QUESTION = "sos_no_software_question"
    EDITORS_REQUIRED = "editors_required"
    EDITORS_WITHOUT_SOFTWARE = "editors_without_software"
    UNKNOWN_EDITOR = "unknown_editor"
    HONOUR_REQUIRED_WITHOUT_SOFTWARE = "honour_required_without_software"
    REFUSAL_NEEDS_SOFTWARE = "refusal_needs_software"
    HONOUR_REQUIRED_WHEN_REFUSING = "honour_required_when_refusing"
    STRUCTURE_HONOUR_REQUIRED = "structure_honour_required"
    STRUCTURE_EDITORS_SOS_ONLY = "structure_editors_sos_only"
    STRUCTURE_SIRET_REQUIRED = "structure_siret_required"


# Bounds of a declaration's lists (a declaration is one DynamoDB item, and every editor listed is polled):
# a doctor works with a few editors and practises at a few places.
MAX_EDITORS = 20
MAX_STRUCTURE_PLACES = 20
EditorId = Annotated[str, Field(min_length=1, max_length=40)]
PlaceRef = Annotated[str, Field(min_length=1, max_length=64)]


def _distinct(values: list[str]) -> list[str]:
    """The same editor or place listed twice is listed once (first order kept)."""
    return list(dict.fromkeys(values))


class Declaration(BaseModel):
    """The body of `PUT /effecteurs/{national_id}/participation` (docs/contract.md), plus the CPTS places."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    participates: bool = False
    modality: Modality | None = None
    structure_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    # For a CPTS: the places of practice attached to it (ids of the card's places).
    structure_place_ids: list[PlaceRef] = Field(default_factory=list, max_length=MAX_STRUCTURE_PLACES)
    uses_interfaced_software: bool | None = None
    editors: list[EditorId] = Field(default_factory=list, max_length=MAX_EDITORS)
    refuses_editor_slots: bool = False
    honour_two_hours: bool = False
    forfait_reorientation: bool = False

    _distinct_lists = field_validator("editors", "structure_place_ids")(_distinct)

    @classmethod
    def defaults(cls) -> Declaration:
        """What a territory admin's reset leaves: nothing ticked."""
        return cls()


def check(
    declaration: Declaration, *, territory_editors: Collection[str], place_ids: Collection[str]
) -> None:
    """Raise `RuleViolation` naming the first rule the declaration breaks.

    The honour declaration is asked of participants only: not participating (and refusing display) is
    allowed without it, and is simply not eligible for pay.
    """
    d = declaration
    _check_modality(d)
    _check_places(d, place_ids)
    if d.modality is Modality.SOS_MEDECINS:
        _check_sos(d)
        return
    _check_software(d, territory_editors)
    _check_honour(d)


def _check_modality(d: Declaration) -> None:
    """A participant chooses a modality; a structure's is named, a CPTS's lists its places."""
    if d.participates and d.modality is None:
        _broken(Rule.MODALITY_REQUIRED, "modality", "a participating effecteur chooses a modality")
    if d.modality in STRUCTURE_MODALITIES and not d.structure_name:
        _broken(
            Rule.STRUCTURE_REQUIRED,
            "structure_name",
            f"modality '{d.modality}' requires the structure's name",
        )
    if d.modality is Modality.CPTS and not d.structure_place_ids:
        _broken(
            Rule.CPTS_PLACES_REQUIRED,
            "structure_place_ids",
            "a CPTS declaration lists the places attached to it",
        )


def _check_places(d: Declaration, place_ids: Collection[str]) -> None:
    """The places attached to a structure are the effecteur's."""
    unknown_places = sorted(set(d.structure_place_ids) - set(place_ids))
    if unknown_places:
        _broken(Rule.UNKNOWN_PLACE, "structure_place_ids", f"unknown place(s): {', '.join(unknown_places)}")


def _check_sos(d: Declaration) -> None:
    """SOS Médecins: the software questions are not asked (the association's manager enters slots)."""
    if d.uses_interfaced_software is not None or d.editors or d.refuses_editor_slots:
        _broken(
            Rule.SOS_NO_SOFTWARE_QUESTION,
            "uses_interfaced_software",
            "SOS Médecins: no booking-software question, the association's manager enters availability",
        )


def _check_software(d: Declaration, territory_editors: Collection[str]) -> None:
    """A participant answers the software question; the editors and the refusal agree with the answer."""
    if d.participates and d.uses_interfaced_software is None:
        _broken(
            Rule.SOFTWARE_ANSWER_REQUIRED,
            "uses_interfaced_software",
            "say whether you use an interfaced booking software",
        )
    if d.uses_interfaced_software:
        _check_interfaced_editors(d, territory_editors)
    else:
        _check_without_software(d)


def _check_interfaced_editors(d: Declaration, territory_editors: Collection[str]) -> None:
    """With interfaced software: at least one editor, each interfaced in the territory."""
    if not d.editors:
        _broken(Rule.EDITORS_REQUIRED, "editors", "with interfaced software, list the editors you use")
    unknown = sorted(set(d.editors) - set(territory_editors))
    if unknown:
        _broken(
            Rule.UNKNOWN_EDITOR,
            "editors",
            f"editor(s) not interfaced in this territory for doctors: {', '.join(unknown)}",
        )


def _check_without_software(d: Declaration) -> None:
    """Without interfaced software (or no answer yet): no editors, and no editor slots to refuse."""
    if d.editors:
        _broken(Rule.EDITORS_WITHOUT_SOFTWARE, "editors", "editors are listed only with interfaced software")
    if d.refuses_editor_slots and d.uses_interfaced_software is False:
        _broken(
            Rule.REFUSAL_NEEDS_SOFTWARE,
            "refuses_editor_slots",
            "refusing editor slots only applies with interfaced software",
        )


def _check_honour(d: Declaration) -> None:
    """A participant whose slots are not all shown from editors declares 2 hours a week on honour."""
    if d.participates and d.uses_interfaced_software is False and not d.honour_two_hours:
        _broken(
            Rule.HONOUR_REQUIRED_WITHOUT_SOFTWARE,
            "honour_two_hours",
            "without interfaced software, declare on your honour 2 hours a week on the SAS agenda",
        )
    if d.participates and d.refuses_editor_slots and not d.honour_two_hours:
        _broken(
            Rule.HONOUR_REQUIRED_WHEN_REFUSING,
            "honour_two_hours",
            "refusing editor slots requires the honour declaration of 2 hours a week on the SAS agenda",
        )


def _broken(rule: Rule, field: str, message: str) -> None:
    raise RuleViolation(message, field=field, rule=rule.value)


def editor_synced(declaration: Declaration) -> bool:
    """Slots come from the effecteur's editors: no manual agenda, no own info for the regulator."""
    return bool(declaration.uses_interfaced_software) and not declaration.refuses_editor_slots


def shown_editors(declaration: Declaration) -> frozenset[str]:
    """The editors whose slots are polled and shown for this effecteur (never when refused)."""
    return frozenset(declaration.editors) if editor_synced(declaration) else frozenset()


def accepts_extra_patients(declaration: Declaration) -> bool:
    """In the en-sus directory: "I accept to be contacted by regulation to take patients beyond my
    availabilities" is what participating means (docs/domain.md)."""
    return declaration.participates


def manual_agenda_allowed(declaration: Declaration | None) -> bool:
    return declaration is None or not editor_synced(declaration)


class StructureKind(StrEnum):
    CDS = "cds"  # centre de santé: 2 h per week per general practitioner
    SOS_MEDECINS = "sos_medecins"  # SOS association: 2 h per week per full-time-equivalent doctor


HOURS_PER_DOCTOR = 2.0
MIN_DOCTORS = 0.01
MAX_DOCTORS = 1000


class StructureDeclaration(BaseModel):
    """`PUT /structures/{structure_id}/participation`: a structure manager declares for the structure."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: StructureKind
    structure_name: Annotated[str, Field(min_length=1, max_length=200)]
    participates: bool = False
    # CDS: general practitioners of the centre; SOS: full-time equivalents of participating doctors,
    # counted to the hundredth (2.5 ETP).
    doctors: Annotated[float, Field(ge=MIN_DOCTORS, le=MAX_DOCTORS)]
    honour_two_hours_per_doctor: bool = False
    # SOS: the territory's SOS editors whose software holds the association's sites and slots; a
    # participating association is polled by its SIRET at each of them (sas_common.ingest).
    editors: list[EditorId] = Field(default_factory=list, max_length=MAX_EDITORS)

    _distinct_editors = field_validator("editors")(_distinct)

    @field_validator("doctors")
    @classmethod
    def _to_the_hundredth(cls, doctors: float) -> float:
        if abs(doctors * 100 - round(doctors * 100)) > 1e-6:
            raise ValueError("doctors are counted to the hundredth (e.g. 2.5 full-time equivalents)")
        return round(doctors, 2)

    @property
    def weekly_hours_required(self) -> float:
        return HOURS_PER_DOCTOR * self.doctors if self.participates else 0.0


SIRET_PATTERN = re.compile(r"^\d{14}$")


def check_structure(
    declaration: StructureDeclaration, *, structure_id: str, sos_editors: Collection[str]
) -> None:
    """Raise `RuleViolation` naming the first rule the structure's declaration breaks. `sos_editors`: the
    territory's editors of kind sos; an association that lists editors is polled by its SIRET, so its
    structure id must be one."""
    if declaration.editors:
        if declaration.kind is not StructureKind.SOS_MEDECINS:
            _broken(
                Rule.STRUCTURE_EDITORS_SOS_ONLY,
                "editors",
                "only an SOS Médecins association lists the editors that hold its slots",
            )
        unknown = sorted(set(declaration.editors) - set(sos_editors))
        if unknown:
            _broken(
                Rule.UNKNOWN_EDITOR,
                "editors",
                f"not an SOS editor of this territory: {', '.join(unknown)}",
            )
        if not SIRET_PATTERN.fullmatch(structure_id):
            _broken(
                Rule.STRUCTURE_SIRET_REQUIRED,
                "structure_id",
                "an association whose slots come from editors is declared under its SIRET (14 digits)",
            )
    if declaration.participates and not declaration.honour_two_hours_per_doctor:
        basis = (
            "general practitioner" if declaration.kind is StructureKind.CDS else "full-time-equivalent doctor"
        )
        _broken(
            Rule.STRUCTURE_HONOUR_REQUIRED,
            "honour_two_hours_per_doctor",
            f"a participating structure declares on its honour 2 hours a week per {basis}",
        )


def polled_editors(declaration: StructureDeclaration) -> frozenset[str]:
    """The editors that poll a structure: those a participating SOS association listed."""
    if declaration.kind is StructureKind.SOS_MEDECINS and declaration.participates:
        return frozenset(declaration.editors)
    return frozenset()
