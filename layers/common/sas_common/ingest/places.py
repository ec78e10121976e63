"""Where an editor's accepted slots take place: one of the owner's known places, or a new one.

The owner is the effecteur (PS, CPTS) or the SOS association whose partition of the `effecteurs` table
holds the places. An editor's place (its Location, structure, address) is one of the owner's known places
when, in this order:
1. its stable id (`convert.place_id`) is a place's id: the editor made it known before;
2. (effecteurs only) its structure number is one of a place's `structure_ids`: the directory's practice
   (an SOS association's sites all carry the association's SIRET, so the structure says nothing there);
3. its street line and postal code are a place's, compared as normalised words.
Otherwise a new place is made from the editor's data under the editor's id, flagged `in_directory=false`
and `known_from=editor:<id>` (a directory import lists places by its own ids: it never withdraws nor
un-flags these). Its position is the editor's when given, else the geocoder's; one it cannot place is kept
without position (`geocoded=false`, out of distance search). A place is geocoded once, when it is made:
the next answers find it by id.

A slot then carries the place's id and the editor's position if it sent one, else the stored place's.
Pure: the caller reads the known places (one Query per owner) and writes the new ones (one batch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sas_common.effecteurs.model import Place, Position, known_from_editor
from sas_common.fhir.codes import siret_of
from sas_common.fhir.model import Place as EditorPlace
from sas_common.geocoding import AddressQuery, Geocoder
from sas_common.geocoding.codes import normalise_name
from sas_common.ingest.convert import Placement, bounded, place_id

# A structure identifier (IDNST) is its number behind a one-digit kind: `1` + FINESS (9 characters).
_FINESS_IDNST_PREFIX = "1"
_FINESS_LENGTH = 9


def structure_numbers(structure_id: str) -> frozenset[str]:
    """The forms a structure identifier may take in the directory's `structure_ids` (SIRET, FINESS)."""
    forms = {structure_id}
    siret = siret_of(structure_id)
    if siret:
        forms.add(siret)
    if structure_id.startswith(_FINESS_IDNST_PREFIX) and len(structure_id) == _FINESS_LENGTH + 1:
        forms.add(structure_id[1:])
    return frozenset(forms)


def _street_key(address: str, postal_code: str | None) -> tuple[str, str] | None:
    street = normalise_name(address.split(",")[0])
    return (street, postal_code.strip()) if street and postal_code and postal_code.strip() else None


def matching_place(
    known: Sequence[Place], editor_place_id: str, place: EditorPlace, *, by_structure: bool
) -> Place | None:
    """The known place the editor's place is (see the module's doc), or None."""
    found = next((candidate for candidate in known if candidate.id == editor_place_id), None)
    if found is not None:
        return found
    if by_structure and place.structure_id:
        numbers = structure_numbers(place.structure_id)
        found = next((c for c in known if not numbers.isdisjoint(c.structure_ids)), None)
        if found is not None:
            return found
    street = _street_key(place.address, place.postal_code)
    if street is None:
        return None
    return next((c for c in known if _street_key(c.address, c.postal_code) == street), None)


def new_place(editor_id: str, editor_place_id: str, place: EditorPlace, position: Position | None) -> Place:
    """A place made from an editor's data (no position: not geocoded)."""
    return Place(
        id=editor_place_id,
        name=bounded(place.name),
        address=bounded(place.address) or "",
        postal_code=bounded(place.postal_code),
        city=bounded(place.city),
        position=position,
        phone=bounded(place.phone),
        structure_ids=[place.structure_id] if place.structure_id else [],
        in_directory=False,
        known_from=known_from_editor(editor_id),
    )


@dataclass
class PlaceResolution:
    # (owner partition, editor place id) → where the slots of that editor place go.
    placements: dict[tuple[str, str], Placement] = field(default_factory=dict)
    created: dict[str, list[Place]] = field(default_factory=dict)  # by owner partition

    @property
    def places_created(self) -> int:
        return sum(len(places) for places in self.created.values())

    @property
    def places_not_geocoded(self) -> int:
        return sum(not place.geocoded for places in self.created.values() for place in places)

    def placement(self, editor_id: str, owner_pk: str, place: EditorPlace | None) -> Placement | None:
        editor_place_id = place_id(editor_id, place)
        if place is None or editor_place_id is None:
            return None
        return self.placements[(owner_pk, editor_place_id)]


def resolve_places(
    editor_id: str,
    wanted: Iterable[tuple[str, EditorPlace | None]],
    known: Mapping[str, Sequence[Place]],
    geocoder: Geocoder,
    *,
    by_structure: bool,
) -> PlaceResolution:
    """Each distinct (owner, editor place) matched or made; the new places without the editor's position
    are geocoded in one `geocode_many` call."""
    resolution = PlaceResolution()
    unplaced: dict[tuple[str, str], EditorPlace] = {}
    for owner_pk, place in wanted:
        editor_place_id = place_id(editor_id, place)
        if place is None or editor_place_id is None:
            continue
        key = (owner_pk, editor_place_id)
        if key in resolution.placements or key in unplaced:
            continue
        found = matching_place(known.get(owner_pk, ()), editor_place_id, place, by_structure=by_structure)
        if found is not None:
            resolution.placements[key] = Placement(found.id, place.position or found.position)
        elif place.position is not None:
            _made(resolution, owner_pk, new_place(editor_id, editor_place_id, place, place.position))
        else:
            unplaced[key] = place
    # A place without any address part (known by its Location or structure id only) is not sent.
    addressed = {
        key: place for key, place in unplaced.items() if place.address or place.postal_code or place.city
    }
    queries = [
        AddressQuery(place.address, place.postal_code, None, place.city) for place in addressed.values()
    ]
    positions = dict(zip(addressed, geocoder.geocode_many(queries), strict=True)) if queries else {}
    for (owner_pk, editor_place_id), place in unplaced.items():
        position = positions.get((owner_pk, editor_place_id))
        _made(resolution, owner_pk, new_place(editor_id, editor_place_id, place, position))
    return resolution


def _made(resolution: PlaceResolution, owner_pk: str, place: Place) -> None:
    resolution.created.setdefault(owner_pk, []).append(place)
    resolution.placements[(owner_pk, place.id)] = Placement(place.id, place.position)
