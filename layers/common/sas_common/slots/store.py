"""Slots in the `slots` table (layout in sas_common.tables).

`replace_slots` is access pattern 6: what a source (an editor, or the manual agenda) says about one
effecteur over a window replaces what the table held for them there, without reading anything else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.settings import get_settings
from sas_common.slots.keys import source_pk, utc_text
from sas_common.slots.model import Slot, is_booking_state, new_item
from sas_common.tables import PK, SK, SLOTS


@dataclass(frozen=True)
class Replacement:
    """What a replacement did: new items put, changed items updated, items gone deleted, the rest left."""

    put: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def window_items(
    source: str, national_id: str, window_start: datetime, window_end: datetime
) -> list[dict[str, Any]]:
    """The items of (source, effecteur) whose start is in [window_start, window_end): one Query."""
    # A slot's sort key is `<start>#<slot key>`: longer than the bare bound, so a slot starting exactly at
    # the window's end sorts after it and is left out, one starting at its start is in.
    condition = Key(PK).eq(source_pk(source, national_id)) & Key(SK).between(
        utc_text(window_start), utc_text(window_end)
    )
    return storage.query_all(SLOTS, KeyConditionExpression=condition, ConsistentRead=True)


def replace_slots(
    source: str,
    national_id: str,
    window_start: datetime,
    window_end: datetime,
    slots: Iterable[Slot],
    zone: ZoneInfo | None = None,
) -> Replacement:
    """Make the table hold exactly `slots` for (source, effecteur) in [window_start, window_end).

    One Query reads the window; items no longer wanted are deleted and new ones put in batches; an item
    whose content changed is updated in place, so the booking state on it (a range's `booked` counter, a
    hold) is never overwritten by a replacement racing a booking; unchanged items are not written.
    """
    zone = zone or get_settings().territory.zone
    wanted: dict[str, dict[str, Any]] = {}
    for slot in slots:
        if (slot.source, slot.national_id) != (source, national_id):
            raise ValueError(f"slot {slot.slot_key} is not of {source}/{national_id}")
        if not window_start <= slot.start < window_end:
            raise ValueError(f"slot {slot.slot_key} starts at {slot.start}, outside the window replaced")
        wanted[slot.key[SK]] = new_item(slot, zone)  # the same slot twice: the last one wins
    existing = {str(item[SK]): item for item in window_items(source, national_id, window_start, window_end)}

    gone = [key for key in existing if key not in wanted]
    new = [item for key, item in wanted.items() if key not in existing]
    changed = [
        (item, existing[key])
        for key, item in wanted.items()
        if key in existing and _content(item) != _content(existing[key])
    ]
    pk = source_pk(source, national_id)
    if gone or new:
        with storage.table(SLOTS).batch_writer() as batch:
            for key in gone:
                batch.delete_item(Key={PK: pk, SK: key})
            for item in new:
                batch.put_item(Item=item)
    for item, before in changed:
        _update_content(item, before)
    return Replacement(
        put=len(new), updated=len(changed), deleted=len(gone), unchanged=len(wanted) - len(new) - len(changed)
    )


def _content(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if not is_booking_state(name)}


def _update_content(item: dict[str, Any], before: dict[str, Any]) -> None:
    """Rewrite the content attributes of an existing item, leaving its booking state alone."""
    content = {name: value for name, value in _content(item).items() if name not in (PK, SK)}
    removed = [name for name in _content(before) if name not in content and name not in (PK, SK)]
    names = {f"#a{i}": name for i, name in enumerate([*content, *removed])}
    by_name = {name: placeholder for placeholder, name in names.items()}
    expression = "SET " + ", ".join(f"{by_name[name]} = :v{i}" for i, name in enumerate(content))
    if removed:
        expression += " REMOVE " + ", ".join(by_name[name] for name in removed)
    names["#pk"] = PK
    try:
        storage.table(SLOTS).update_item(
            Key={PK: item[PK], SK: item[SK]},
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":v{i}": value for i, value in enumerate(content.values())},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # Removed in the meantime (the expiry job): it is still wanted, so it comes back whole. The booking
        # flow marks a booked manual slot (booking state) rather than deleting it, or the next
        # materialisation of the agenda would offer it again.
        storage.table(SLOTS).put_item(Item=item)
