"""A free slot, whatever its source (an editor's answer or a materialised manual availability).

One model and one item layout for every source, so search reads editor and manual slots alike. Keys and
indexes are described in sas_common.tables; this module turns a `Slot` into its item and back.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sas_common.effecteurs.model import Position
from sas_common.geo import cell_of
from sas_common.identifiers import NationalId, SlotOwnerId
from sas_common.slots.keys import expiry_attributes, source_pk, utc_text
from sas_common.tables import PK, SK


class ConsultationType(StrEnum):
    """Where the patient is seen (ActCode: AMB, VR, HH)."""

    CABINET = "cabinet"
    TELECONSULTATION = "teleconsultation"
    DOMICILE = "domicile"


class Visibility(StrEnum):
    """Who a slot is shown to (TRE_R314-TypeCreneau)."""

    PUBLIC = "PUBLIC"
    PRO = "PRO"
    SNP = "SNP"
    CPTS = "CPTS"


class SlotMode(StrEnum):
    SLOTS = "slots"  # one patient at a fixed time
    RANGE = "range"  # a plage: `capacity` patients over [start, end), possibly walk-in


# Attributes the booking flow owns on a slot item (`booked` counts the places taken, holds included;
# `hold_*` describe a hold):
# written once when the item is created, never overwritten when a source's slots are replaced.
BOOKED = "booked"
HOLD_PREFIX = "hold_"


def is_booking_state(attribute: str) -> bool:
    return attribute == BOOKED or attribute.startswith(HOLD_PREFIX)


def is_taken(item: Mapping[str, Any]) -> bool:
    """A booking holds or has booked a place of the slot."""
    return any(attribute.startswith(HOLD_PREFIX) for attribute in item)


def places_left(item: Mapping[str, Any]) -> int:
    """Patients the slot can still take: a range its capacity, any other slot one, less those `booked`
    (a hold counts: the booking flow adds one when it holds, and takes it back if the booking fails)."""
    capacity = int(item.get("capacity") or 1) if item.get("mode") == SlotMode.RANGE.value else 1
    return capacity - int(item.get(BOOKED) or 0)


# Bounds on an editor's free text kept on a slot (sas_common.ingest.convert trims to them).
SLOT_TEXT_MAX = 200
SLOT_REASONS_MAX = 10


class Slot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1, max_length=64)  # an editor id, or "manual"
    # Whose slot it is, in its key: the effecteur, or for an SOS site's slot the association (`3` + SIRET).
    national_id: SlotOwnerId
    # Unique among the source's slots of this effecteur starting at the same instant: the editor's slot
    # id, or the availability id of a manual slot.
    slot_key: str = Field(min_length=1, max_length=200)
    start: AwareDatetime
    end: AwareDatetime
    consultation_types: tuple[ConsultationType, ...] = Field(min_length=1)
    visibility: tuple[Visibility, ...] = (Visibility.SNP,)
    mode: SlotMode = SlotMode.SLOTS
    capacity: int | None = Field(default=None, ge=1)  # ranges only
    walk_in: bool = False
    place_id: str | None = None
    position: Position | None = None
    specialty_code: str | None = None
    # The editor's specialty text when it sends no TRE_R38 code (a coded specialty keeps only its code).
    specialty_text: str | None = Field(default=None, max_length=SLOT_TEXT_MAX)
    # The editor's free-text reasons (`serviceType.text`). None rather than empty, so the items of slots
    # without reasons (every manual slot) stay exactly as they were.
    reasons: tuple[Annotated[str, Field(min_length=1, max_length=SLOT_TEXT_MAX)], ...] | None = Field(
        default=None, min_length=1, max_length=SLOT_REASONS_MAX
    )
    booking_url: str | None = None
    editor_id: str | None = None
    editor_level: int | None = None
    # An SOS site's slot: the doctor on duty the editor names, if any (the owner is the association).
    doctor_id: NationalId | None = None
    availability_id: str | None = None

    @property
    def key(self) -> dict[str, str]:
        return {PK: source_pk(self.source, self.national_id), SK: f"{utc_text(self.start)}#{self.slot_key}"}

    @property
    def slot_id(self) -> str:
        return slot_id(self.key[PK], self.key[SK])


def slot_id(pk: str, sk: str) -> str:
    """The public id of a slot: its item key, encoded (pattern 10 reads a slot by id with one GetItem)."""
    return base64.urlsafe_b64encode(f"{pk}|{sk}".encode()).decode().rstrip("=")


def slot_key_of(identifier: str) -> dict[str, str] | None:
    """The item key a slot id encodes, or None if it is not one."""
    try:
        text = base64.urlsafe_b64decode(identifier + "=" * (-len(identifier) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    pk, separator, sk = text.partition("|")
    if not separator or not pk.startswith("SRC#") or not sk:
        return None
    return {PK: pk, SK: sk}


def search_keys(slot: Slot, zone: ZoneInfo) -> dict[str, str]:
    """Index attributes: by cell and local day when the slot is at a known place and not only remote,
    by territory and local day when it offers teleconsultation (patterns 1 and 2)."""
    return _search_keys(slot, zone, _utc_text(slot.start))


# What an item derives from an instant or a position, computed once per distinct value: a replacement
# writes thousands of slots sharing a few hundred start and end instants (a grid of minutes over the
# window) and one position per place, and strftime, time-zone conversion and the h3 cell cost more than
# the rest of the item. Bounded caches (a few hundred kB at most); the values depend on their key only.
@lru_cache(maxsize=8192)
def _utc_text(instant: datetime) -> str:
    return utc_text(instant)


@lru_cache(maxsize=8192)
def _local_day(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).date().isoformat()


@lru_cache(maxsize=8192)
def _expiry_attributes(end: datetime) -> dict[str, str | int]:
    return expiry_attributes(end)  # shared: only ever copied into an item, never handed out


@lru_cache(maxsize=4096)
def _cell(lat: float, lon: float) -> str:
    return cell_of(Position.model_construct(lat=lat, lon=lon))


def _numbers(lat: float, lon: float) -> tuple[Decimal, Decimal]:
    # Equal non-zero floats have the same text; 0.0 and -0.0 are equal with different texts.
    if type(lat) is float and type(lon) is float and lat and lon:
        return _cached_numbers(lat, lon)
    return _decimals(lat, lon)


def _decimals(lat: float, lon: float) -> tuple[Decimal, Decimal]:
    # DynamoDB numbers are Decimal: the text of the float keeps the value a reader compares against.
    return Decimal(str(lat)), Decimal(str(lon))


_cached_numbers = lru_cache(maxsize=4096)(_decimals)


def _search_keys(slot: Slot, zone: ZoneInfo, start_text: str) -> dict[str, str]:
    keys = {"start_sk": f"{start_text}#{slot.national_id}#{slot.source}#{slot.slot_key}"}
    in_person = any(kind is not ConsultationType.TELECONSULTATION for kind in slot.consultation_types)
    if slot.position is not None and in_person:
        cell = _cell(slot.position.lat, slot.position.lon)
        keys.update(cell=cell, cell_day=f"{cell}#{_local_day(slot.start, zone)}")
    if ConsultationType.TELECONSULTATION in slot.consultation_types:
        keys["tele_day"] = f"TELE#{_local_day(slot.start, zone)}"
    return keys


_NOT_IN_BODY = {"start", "end", "position"}  # written by content_item itself (never modified)


def content_item(slot: Slot, zone: ZoneInfo) -> dict[str, Any]:
    """The slot's item without booking state: what a replacement compares and writes.

    Attributes, in order: the key (`Slot.key`), every other field of the slot that is not None (as in
    JSON: enums as their value, tuples as lists; the position as Decimal numbers), `start` and `end` as
    UTC text, the search keys, the expiry attributes."""
    start_text = _utc_text(slot.start)
    item: dict[str, Any] = {
        PK: source_pk(slot.source, slot.national_id),
        SK: f"{start_text}#{slot.slot_key}",
        **slot.model_dump(mode="json", exclude_none=True, exclude=_NOT_IN_BODY),
    }
    if slot.position is not None:
        lat, lon = _numbers(slot.position.lat, slot.position.lon)
        item["position"] = {"lat": lat, "lon": lon}
    item["start"] = start_text
    item["end"] = _utc_text(slot.end)
    item.update(_search_keys(slot, zone, start_text))
    item.update(_expiry_attributes(slot.end))
    return item


def new_item(slot: Slot, zone: ZoneInfo) -> dict[str, Any]:
    """The item of a slot written for the first time: its content and its initial booking state."""
    item = content_item(slot, zone)
    if slot.mode is SlotMode.RANGE:
        item[BOOKED] = 0
    return item


def slot_of(item: dict[str, Any]) -> Slot:
    """A slot read back from its item (index attributes and booking state are dropped)."""
    fields = set(Slot.model_fields)
    return Slot.model_validate({name: value for name, value in item.items() if name in fields})


@dataclass(frozen=True, slots=True)
class IndexedSlot:
    """What search needs of a slot to find, filter and order it: read from the stored item without
    building a `Slot` (thousands per search: `Slot` is built for a page's results only, by `slot`)."""

    pk: str
    sk: str
    owner: str  # `Slot.national_id`: a doctor, or an association's `3` + SIRET
    doctor_id: str | None
    source: str
    start: datetime
    end: datetime
    lat: float | None
    lon: float | None
    consultation_types: frozenset[str]
    visibility: frozenset[str]
    walk_in: bool
    specialty_code: str | None
    specialty_text: str | None
    places_left: int
    read_slot: Callable[[], Slot] = field(repr=False, compare=False)  # the whole item, as a `Slot`

    @property
    def slot_id(self) -> str:
        return slot_id(self.pk, self.sk)


class PartitionRead(NamedTuple):
    """One Query of a search: up to `limit` items of an index partition, after `after` (the key where its
    previous read stopped), and with `owner` only the slots of that owner or doctor on duty (a filter:
    `limit` still counts the items read)."""

    index_name: str  # `by_cell_day` or `by_tele_day`
    partition: str
    limit: int
    after: dict[str, Any] | None = None
    owner: str | None = None


class PartitionPage(NamedTuple):
    """What a `PartitionRead` found: its slots (those the filter kept), the items it read, and where the
    partition goes on — DynamoDB's `LastEvaluatedKey` and its sort key — or None when it read to the end."""

    slots: list[IndexedSlot]
    read: int
    after: dict[str, Any] | None
    after_sort_key: str | None
