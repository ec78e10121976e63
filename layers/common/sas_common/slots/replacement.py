"""Planning a replacement (pattern 6), with no I/O: what a source now says about an owner's window against
what the table holds there gives the items to put, to delete and to update, and the counts.

`sas_common.stores.slots.SlotStore.replace_owners` reads each owner's window, plans with these functions
and sends the writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sas_common.slots.model import Slot, is_booking_state, is_taken, new_item
from sas_common.tables import PK, SK

Item = dict[str, Any]


@dataclass(frozen=True)
class Replacement:
    """What a replacement did: new items put, changed items updated, items gone deleted, the rest left."""

    put: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class OwnerPlan:
    """One owner's writes: new items, the sort keys of items no longer wanted, and the items whose content
    changed with what is stored for them (updated in place: their booking state is kept)."""

    puts: list[Item] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    updates: list[tuple[Item, Item]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def counts(self) -> Replacement:
        return Replacement(len(self.puts), len(self.updates), len(self.deletes), self.unchanged)


def wanted_items(
    source: str,
    owner: str,
    window_start: datetime,
    window_end: datetime,
    slots: Iterable[Slot],
    zone: ZoneInfo,
) -> dict[str, Item]:
    """The items of an owner's slots by sort key (the same slot twice: the last one wins). A slot of
    another source or owner, or starting outside the window, is a caller's bug: ValueError."""
    items: dict[str, Item] = {}
    for slot in slots:
        if (slot.source, slot.national_id) != (source, owner):
            raise ValueError(f"slot {slot.slot_key} is not of {source}/{owner}")
        if not window_start <= slot.start < window_end:
            raise ValueError(f"slot {slot.slot_key} starts at {slot.start}, outside the window replaced")
        item = new_item(slot, zone)
        items[item[SK]] = item
    return items


def plan_replacement(existing: Mapping[str, Item], wanted: Mapping[str, Item]) -> OwnerPlan:
    """Items wanted and not stored are put; stored and not wanted, deleted — unless a booking holds or has
    booked a place of them (the source dropping a slot it sees taken, or a doctor changing an availability
    while a regulator phones: the booking's slot stays until it expires, hidden from search); both but with
    another content, updated; the rest left alone. Both mappings are by sort key."""
    updates = [
        (item, existing[key])
        for key, item in wanted.items()
        if key in existing and content(item) != content(existing[key])
    ]
    puts = [item for key, item in wanted.items() if key not in existing]
    deletes = [key for key, item in existing.items() if key not in wanted and not is_taken(item)]
    return OwnerPlan(puts, deletes, updates, unchanged=len(wanted) - len(puts) - len(updates))


def content(item: Mapping[str, Any]) -> Item:
    """An item without its booking state (what the booking flow owns on it)."""
    return {name: value for name, value in item.items() if not is_booking_state(name)}


def content_update(item: Mapping[str, Any], before: Mapping[str, Any]) -> tuple[Item, list[str]]:
    """How to turn `before` into `item` leaving booking state alone: the content attributes to set (keys
    aside) and the content attributes to remove."""
    keys = (PK, SK)
    to_set = {name: value for name, value in content(item).items() if name not in keys}
    removed = [name for name in content(before) if name not in to_set and name not in keys]
    return to_set, removed
