"""The regulator's search (patterns 1–3): slots near a patient, in order, page by page; the en-sus directory.

A search costs, whatever the table's size:
1. index Queries over its partitions: one per covering cell × local day (`by_cell_day`), and one per local
   day for teleconsultation slots, found anywhere in the territory (`by_tele_day`) — at most
   `MAX_QUERIES` partitions. A first round reads those of the first hours, both indexes at the same time,
   a few more slots of each than the page wants; later rounds, if any, only the partitions that could still
   reach the page (`sas_common.search.merge`): at most `merge.MAX_READS` Queries and
   `merge.PARTITION_LIMIT` slots a partition;
2. per chunk of `CHUNK` ordered candidates, one BatchGetItem of their owners' profiles, places and
   unavailability (`effecteurs`) and one of their current declarations (`participations`) — a page reads
   at most `MAX_CHUNKS` chunks, so a page's reads stay bounded even when many candidates are hidden.
The ordering and hiding rules are `sas_common.search.ranking`'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sas_common.agenda.unavailability import Unavailability
from sas_common.effecteurs.model import Effecteur, Place
from sas_common.errors import InvalidInput
from sas_common.fhir.codes import siret_of
from sas_common.geo import covering_cells, distance_km
from sas_common.participation.rules import Declaration, StructureDeclaration, accepts_extra_patients
from sas_common.participation.versions import Saved
from sas_common.search import cursor, merge, ranking
from sas_common.search.query import MAX_QUERIES, Area, SlotQuery, criteria_text, read_slot_query
from sas_common.slots.model import ConsultationType, Slot
from sas_common.tables import effecteur_pk, structure_pk

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

CHUNK = 25  # candidates whose owners are read together (4 keys each: ≤ 100, one BatchGetItem)
MAX_CHUNKS = 8
EN_SUS_BELOW = 5  # a first page with fewer results than this also lists the en-sus directory
EN_SUS_MAX = 50
CURSOR_KEY = "search-cursor"


@dataclass(frozen=True)
class Owner:
    """Whom a slot is of, as search shows it."""

    owner_id: str  # a national id, or an association's `3` + SIRET
    profile: Effecteur | None  # a doctor's (an association has none)
    declaration: Declaration | StructureDeclaration | None
    doctor_on_duty: Effecteur | None = None  # an SOS site's slot naming one

    @property
    def modality(self) -> str | None:
        declaration = self.declaration
        if isinstance(declaration, Declaration):
            return declaration.modality.value if declaration.modality else None
        return "sos_medecins" if isinstance(declaration, StructureDeclaration) else None

    @property
    def association_name(self) -> str | None:
        return self.declaration.structure_name if isinstance(self.declaration, StructureDeclaration) else None


@dataclass(frozen=True)
class Found:
    """A slot shown: the slot, how to book it, its owner and place, its distance."""

    slot: Slot
    booking: ranking.BookingMode
    booking_url: str | None
    owner: Owner
    place: Place | None
    distance_km: float | None
    group: ranking.Group


@dataclass(frozen=True)
class EnSus:
    """A place of the en-sus directory near the patient."""

    national_id: str
    profile: Effecteur
    modality: str | None
    place: Place
    distance_km: float


@dataclass
class SlotPage:
    results: list[Found]
    cursor: str | None
    en_sus: list[EnSus] | None
    queries: int  # index Queries the search sent
    candidates: int  # slots found before their owners were read
    reads: dict[str, int] = field(default_factory=dict)  # BatchGetItem requests, by table


def local_days(start: datetime, end: datetime, zone: dt.tzinfo) -> list[dt.date]:
    first, last = start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def partitions(query: SlotQuery, zone: dt.tzinfo) -> tuple[list[str], list[str]]:
    """The `by_cell_day` and `by_tele_day` partitions to read; InvalidInput past `MAX_QUERIES`."""
    days = [day.isoformat() for day in local_days(query.start, query.end, zone)]
    tele = not query.consultation_types or ConsultationType.TELECONSULTATION in query.consultation_types
    in_person = not query.only_teleconsultation
    cells = covering_cells(query.area.center, query.area.radius_km) if in_person else []
    count = len(cells) * len(days) + (len(days) if tele else 0)
    if count > MAX_QUERIES:
        raise InvalidInput(
            f"this search needs {count} index partitions, at most {MAX_QUERIES}: narrow radius_km or the "
            "window",
            field="radius_km",
        )
    by_cell = [f"{cell}#{day}" for cell in cells for day in days]
    return by_cell, ([f"TELE#{day}" for day in days] if tele else [])


def search_slots(rt: Runtime, params: Mapping[str, str], now: datetime) -> SlotPage:
    """A page of the search `params` ask (a later page: as of the instant of the first)."""
    key = rt.state.signing_key(CURSOR_KEY)
    criteria = criteria_text(params)
    raw_cursor = params.get("cursor")
    start = cursor.decode(raw_cursor, criteria, key) if raw_cursor else cursor.Position(0, now)
    query = read_slot_query(params, start.now)
    zone = rt.territory.zone
    by_cell, by_tele = partitions(query, zone)
    candidates = merge.Reader(
        query,
        start.now,
        start.now.astimezone(zone).date(),
        merge.layout(query, zone, by_cell, by_tele),
        lambda reads: rt.slots.search_pages(reads, query.start, query.end),
    )
    candidates.place(start.offset + max(query.page_size, CHUNK))
    page = SlotPage([], None, None, 0, 0)
    offset = _fill(rt, page, candidates, query, start.offset)
    if candidates.more_after(offset):
        page.cursor = cursor.encode(cursor.Position(offset, start.now), criteria, key)
    page.queries, page.candidates = candidates.queries, candidates.found
    if start.offset == 0 and len(page.results) < EN_SUS_BELOW:
        page.en_sus = en_sus(rt, query.area, start.now)
    return page


def _fill(rt: Runtime, page: SlotPage, candidates: merge.Reader, query: SlotQuery, offset: int) -> int:
    """Read the owners of the candidates from `offset` on, chunk by chunk, keeping those not hidden until
    the page is full; the offset where the next page starts."""
    for _ in range(MAX_CHUNKS):
        chunk = candidates.take(offset, CHUNK) if len(page.results) < query.page_size else []
        if not chunk:
            break
        slots = [found.slot.read_slot() for found in chunk]
        facts = _owner_facts(rt, slots, page.reads)
        for found, slot in zip(chunk, slots, strict=True):
            offset += 1
            shown = _shown(rt, found, slot, facts, query)
            if shown is not None:
                page.results.append(shown)
                if len(page.results) >= query.page_size:
                    break
    return offset


@dataclass(frozen=True)
class _Facts:
    profiles: dict[str, Effecteur]
    places: dict[tuple[str, str], Place]
    unavailability: dict[tuple[str, str], Unavailability]
    declarations: dict[str, Saved]


def owner_pk(owner_id: str) -> str:
    """An owner's partition: a doctor's, or an association's (`3` + SIRET: `STRUCT#<siret>`)."""
    siret = siret_of(owner_id)
    return structure_pk(siret) if siret and owner_id != siret else effecteur_pk(owner_id)


def _owner_facts(rt: Runtime, slots: Sequence[Slot], reads: dict[str, int]) -> _Facts:
    owners = [owner_pk(slot.national_id) for slot in slots]
    doctors = [effecteur_pk(slot.doctor_id) for slot in slots if slot.doctor_id]
    places = [(owner_pk(slot.national_id), slot.place_id) for slot in slots if slot.place_id]
    profiles, found_places, unavailability = rt.effecteurs.owner_items([*owners, *doctors], places)
    declarations = rt.participations.current_versions(owners)
    reads["effecteurs"] = reads.get("effecteurs", 0) + 1
    reads["participations"] = reads.get("participations", 0) + 1
    return _Facts(profiles, found_places, unavailability, declarations)


def _declaration(saved: Saved | None) -> Declaration | StructureDeclaration | None:
    if saved is None:
        return None
    if saved.structure_id is not None:
        return StructureDeclaration.model_validate(saved.content)
    return Declaration.model_validate(saved.content)


def _shown(
    rt: Runtime, found: ranking.Candidate, slot: Slot, facts: _Facts, query: SlotQuery
) -> Found | None:
    pk = owner_pk(slot.national_id)
    profile = facts.profiles.get(pk)
    owner = Owner(
        slot.national_id,
        profile,
        _declaration(facts.declarations.get(pk)),
        facts.profiles.get(effecteur_pk(slot.doctor_id)) if slot.doctor_id else None,
    )
    place_key = (pk, slot.place_id or "")
    place = facts.places.get(place_key)
    owner_facts = ranking.OwnerFacts(
        owner.declaration,
        place,
        facts.unavailability.get(place_key),
        profile.specialty_code if profile else None,
        profile.specialty_label if profile else None,
    )
    if ranking.hidden(slot, owner_facts, query, rt.territory.departments, rt.territory.zone) is not None:
        return None
    mode, url = ranking.booking(slot)
    return Found(slot, mode, url, owner, place, found.distance_km, ranking.group(found, query))


def en_sus(rt: Runtime, area: Area, now: datetime, limit: int = EN_SUS_MAX) -> list[EnSus]:
    """The participating effecteurs accepting extra patients whose places are within the radius, nearest
    first (pattern 3: one Query per covering cell, then their profiles and declarations read together)."""
    near: list[tuple[float, str, Place]] = []
    for cell in covering_cells(area.center, area.radius_km):
        for national_id, place in rt.effecteurs.en_sus_places(cell):
            if place.position is None:
                continue
            distance = distance_km(area.center, place.position)
            if distance <= area.radius_km:
                near.append((distance, national_id, place))
    near.sort(key=lambda entry: (entry[0], ranking.tie_break(f"{entry[1]}#{entry[2].id}", now.date())))
    near = near[:limit]
    owners = [effecteur_pk(national_id) for _, national_id, _ in near]
    profiles, _, _ = rt.effecteurs.owner_items(owners, [])
    declarations = rt.participations.current_versions(owners)
    entries = []
    for distance, national_id, place in near:
        profile = profiles.get(effecteur_pk(national_id))
        declaration = _declaration(declarations.get(effecteur_pk(national_id)))
        if (
            profile is None
            or not isinstance(declaration, Declaration)
            or not accepts_extra_patients(declaration)
        ):
            continue  # the index trails a declaration by a moment: the declaration decides
        modality = declaration.modality.value if declaration.modality else None
        entries.append(EnSus(national_id, profile, modality, place, round(distance, 2)))
    return entries
