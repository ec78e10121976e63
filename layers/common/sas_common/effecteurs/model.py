"""The effecteur as stored and as shown on the card (no AWS types here)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sas_common.agenda.unavailability import Unavailability
from sas_common.auth import Target
from sas_common.identifiers import NationalId


class Position(BaseModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Place(BaseModel):
    id: str
    name: str | None = None
    address: str
    postal_code: str | None = None
    city: str | None = None
    commune_code: str | None = None
    position: Position | None = None
    phone: str | None = None
    structure_ids: list[str] = Field(default_factory=list)
    # False when the latest directory extract no longer lists this place (kept: an agenda may refer to it).
    in_directory: bool = True
    # False when the address could not be geocoded: the place is left out of distance search.
    geocoded: bool = True
    # Who made it known when the directory did not: `editor:<editor id>` (with in_directory=false).
    known_from: str | None = None

    @model_validator(mode="after")
    def _no_position_is_not_geocoded(self) -> Place:
        if self.position is None:
            self.geocoded = False
        return self


# Bounds of what an effecteur writes for the regulator: a card must stay far below DynamoDB's 400 KB item
# limit, and a regulator reads it on the phone.
REGULATOR_TEXT_MAX = 2000
REGULATOR_PHONES_MAX = 5
PHONE_MAX = 30
CALL_HOURS_MAX = 200


class RegulatorInfo(BaseModel):
    """`PUT /effecteurs/{national_id}/regulator-info`, and the card's `regulator_info`."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=REGULATOR_TEXT_MAX)
    phones: list[Annotated[str, Field(min_length=1, max_length=PHONE_MAX)]] = Field(
        default_factory=list, max_length=REGULATOR_PHONES_MAX
    )
    call_hours: str | None = Field(default=None, max_length=CALL_HOURS_MAX)


class Effecteur(BaseModel):
    national_id: NationalId
    last_name: str
    first_name: str | None = None
    profession_code: str | None = None
    specialty_code: str | None = None
    specialty_label: str | None = None
    phone: str | None = None
    regulator_info: RegulatorInfo = Field(default_factory=RegulatorInfo)
    # False for a doctor created from an editor's data (an SOS doctor on duty the directory does not
    # list), with `known_from = editor:<editor id>`; the next directory import that lists them clears both.
    in_directory: bool = True
    known_from: str | None = None


def known_from_editor(editor_id: str) -> str:
    """The `known_from` of what an editor's data made known (a place, a doctor)."""
    return f"editor:{editor_id}"


class Card(Effecteur):
    places: list[Place] = Field(default_factory=list)
    participation: dict[str, object] | None = None
    # Places' unavailability (UNAVAIL# items; sas_common.agenda.unavailability).
    unavailabilities: list[Unavailability] = Field(default_factory=list)
    # Who may act on this effecteur's agenda besides them (not shown on the card).
    approved_delegates: frozenset[str] = Field(default_factory=frozenset, exclude=True)

    @property
    def structure_ids(self) -> frozenset[str]:
        return frozenset(sid for place in self.places for sid in place.structure_ids)

    def place(self, place_id: str) -> Place | None:
        return next((place for place in self.places if place.id == place_id), None)

    @property
    def target(self) -> Target:
        """What the policy needs to decide ownership of this effecteur's data."""
        return Target(self.national_id, self.structure_ids, approved_delegates=self.approved_delegates)
