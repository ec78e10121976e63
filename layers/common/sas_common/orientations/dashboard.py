"""The orientations dashboards (pattern 12): the territory's for regulators and admins (`by_day`, or
`by_effecteur` / `by_regulator` when one is named), an effecteur's for them and their delegates
(`by_effecteur`), and the effecteur marking that a consultation took place.

A page is read with at most `listing.MAX_QUERIES` Queries (a filtered outcome may thin them) plus one
BatchGetItem for the records linked to the page's bookings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sas_common.errors import InvalidInput, NotFound
from sas_common.identifiers import is_national_id
from sas_common.orientations.listing import (
    MAX_QUERIES,
    Cursor,
    Listing,
    Orientation,
    is_shown,
    orientation_of,
)
from sas_common.slots.keys import utc_text
from sas_common.tables import BOOKING_PREFIX, PK, effecteur_pk

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

DAY_PARTITION = "DAY#"
REGULATOR_PARTITION = "REG#"


@dataclass(frozen=True)
class OrientationPage:
    results: list[Orientation]
    cursor: str | None


@dataclass(frozen=True)
class _Source:
    """Which index a listing reads, and its partitions in order (the days, or the one owner or regulator)."""

    index: str
    partitions: list[tuple[str | None, str]]  # (cursor day, partition)


def territory(rt: Runtime, listing: Listing, params: Mapping[str, str]) -> OrientationPage:
    """The territory's orientations; `effecteur=<id>` or `regulator=<subject>` narrows to one."""
    owner, regulator = params.get("effecteur"), params.get("regulator")
    if owner and regulator:
        raise InvalidInput("name an effecteur or a regulator, not both", field="regulator")
    if owner:
        return _page(rt, listing, _owner_source(owner))
    if regulator:
        if len(regulator) > 256:
            raise InvalidInput("`regulator`: at most 256 characters", field="regulator")
        return _page(rt, listing, _Source("by_regulator", [(None, REGULATOR_PARTITION + regulator)]))
    return _page(rt, listing, _Source("by_day", [(day, DAY_PARTITION + day) for day in listing.days]))


def of_effecteur(rt: Runtime, national_id: str, listing: Listing) -> OrientationPage:
    """The orientations towards one effecteur (the caller's right to see them is checked before)."""
    return _page(rt, listing, _owner_source(national_id))


def _owner_source(owner: str) -> _Source:
    if not (is_national_id(owner) or (owner.startswith("3") and owner[1:].isdigit() and len(owner) == 15)):
        raise InvalidInput("`effecteur`: a national id, or an association's 3 + SIRET", field="effecteur")
    return _Source("by_effecteur", [(None, effecteur_pk(owner))])


def _page(rt: Runtime, listing: Listing, source: _Source) -> OrientationPage:
    """Queries from the cursor's partition and position until the page is full, the period done, or the
    request's Queries spent."""
    partitions = source.partitions
    after = listing.cursor.after if listing.cursor else None
    if listing.cursor and listing.cursor.day is not None:
        partitions = partitions[[day for day, _ in partitions].index(listing.cursor.day) :]
    items: list[dict[str, Any]] = []
    start, end = utc_text(listing.start), utc_text(listing.end)
    queries, position = 0, 0
    while position < len(partitions) and len(items) < listing.page_size and queries < MAX_QUERIES:
        found, after = rt.orientations.orientations_page(
            source.index,
            partitions[position][1],
            start,
            end,
            listing.page_size - len(items),
            listing.outcomes,
            after,
        )
        queries += 1
        items.extend(item for item in found if is_shown(item))
        if after is None:
            position += 1
    cursor = _next(partitions, position, after)
    return OrientationPage(_orientations(rt, items), cursor)


def _next(
    partitions: list[tuple[str | None, str]], position: int, after: dict[str, str] | None
) -> str | None:
    if position >= len(partitions):
        return None
    return Cursor(partitions[position][0], after).encode()


def _orientations(rt: Runtime, items: list[dict[str, Any]]) -> list[Orientation]:
    """The items as orientations, each booking with its linked record's status (one BatchGetItem)."""
    linked = [
        (str(item["editor_id"]), str(item["appointment_id"]))
        for item in items
        if item.get("appointment_id") and item.get("editor_id") and item.get("booking_id")
    ]
    records = rt.orientations.records_of(linked) if linked else {}
    return [
        orientation_of(item, records.get((str(item.get("editor_id")), str(item.get("appointment_id")))))
        for item in items
    ]


def mark_done(rt: Runtime, national_id: str, orientation_id: str, now: datetime) -> Orientation:
    """The effecteur says the consultation of a confirmed booking towards them took place (idempotent)."""
    booking = rt.orientations.mark_done(orientation_id, effecteur_pk(national_id), now)
    if booking is None:
        raise NotFound(f"no confirmed booking {orientation_id} towards {national_id}", field="orientation_id")
    item = {PK: BOOKING_PREFIX + booking.id, "booking_id": booking.id, **booking.model_dump(mode="json")}
    return orientation_of(item)
