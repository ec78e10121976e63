"""The search's index reads: each partition read only as far as the page can still need it.

A search's slots are in index partitions — `by_cell_day`, a cell's in-person slots of a local day, and
`by_tele_day`, the territory's teleconsultation slots of a day — of which it takes the earliest
`PARTITION_LIMIT` each (a dense city's cell holds thousands a day: reading them all would make a search's
cost grow with the table). The order (`ranking`) is by group, distance band, start, then a tie-break; a
partition gives its slots by start. So whatever a partition has not given yet starts no earlier than the
last slot it gave, is in person in a band no nearer than its cell's nearest point, or is a
teleconsultation: a lower bound of the order's key of anything it could still give (`Reader.bound`).
Candidates whose key is below every open partition's bound are in their final place: a k-way merge that
reads on — another round of Queries, only the partitions that could still reach the page, each further than
the time before — until the candidates the page needs are all placed.

The first round reads, both indexes together and all at the same time, the partitions of the days opening
within `FIRST_HORIZON`, a few more slots of each than the page wants. What the candidates are is what the
earliest `PARTITION_LIMIT` of each partition give, as when each partition was read whole in one Query: the
same results, fewer reads.

The treating doctor's slots come first whatever their distance and start: when one is named, the first
round also reads each partition's earliest `PARTITION_LIMIT` filtered to that doctor (DynamoDB reads them,
sends only the doctor's), so that the merge's bounds need only cover the other groups.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from sas_common.geo import cell_floor_km, radius_floor_km
from sas_common.search import ranking
from sas_common.search.query import SlotQuery
from sas_common.slots.model import IndexedSlot, PartitionPage, PartitionRead

PARTITION_LIMIT = 300  # the earliest slots of a partition a search takes
FIRST_MARGIN = 10  # slots read of each partition in the first round, beyond the candidates wanted
# The first round reads the partitions of the local days opening within this time of the window's start
# (later days are read when the page reaches them: most searches fill it sooner).
FIRST_HORIZON = timedelta(hours=6)
MAX_READS = 4  # Queries of one partition at most: the last reads what is left up to `PARTITION_LIMIT`

Bound = tuple[int, int, datetime]  # group, distance band, start: the first three of `ranking.order_key`
Key = tuple[int, int, datetime, int, str, str]
Read = Callable[[Sequence[PartitionRead]], list[PartitionPage]]


@dataclass
class Partition:
    """An index partition of the search, and how far it has been read."""

    index: str
    key: str  # `<cell>#<day>` or `TELE#<day>`
    day: str
    start: datetime  # no slot it has not given yet starts before (at first: the window's or the day's)
    band: int | None  # the nearest distance band of its cell's places; None: `by_tele_day`
    read: int = 0  # items read (`PARTITION_LIMIT` at most)
    reads: int = 0  # Queries sent
    after: dict[str, object] | None = None  # where the next read starts
    first: datetime | None = None  # the start of the first slot it gave
    candidates: int = 0  # of the slots it gave
    done: bool = False
    capped: bool = False  # done at `PARTITION_LIMIT`, slots left unread

    @property
    def crowded(self) -> bool:
        """What it gave all starts at one instant, and is mostly candidates: a dense cell's first quarter
        hour near the patient, where the next start could be hundreds of slots further."""
        return self.first == self.start and 2 * self.candidates >= self.read

    def take(self, page: PartitionPage, candidates: int) -> None:
        if self.first is None and page.slots:
            self.first = page.slots[0].start
        self.candidates += candidates
        self.read += page.read
        self.reads += 1
        self.after = page.after
        if page.after_sort_key is not None:
            self.start = max(self.start, _instant(page.after_sort_key.partition("#")[0]))
        self.done = page.after is None or self.read >= PARTITION_LIMIT
        self.capped = page.after is not None and self.done


def layout(query: SlotQuery, zone: tzinfo, by_cell: Sequence[str], by_tele: Sequence[str]) -> list[Partition]:
    """The partitions of `service.partitions`, each with when it opens and its cell's nearest band."""
    bands = {
        key.partition("#")[0]: ranking.band(cell_floor_km(query.area.center, key.partition("#")[0]))
        for key in by_cell
    }
    found = [_partition("by_cell_day", key, query, zone, bands[key.partition("#")[0]]) for key in by_cell]
    return found + [_partition("by_tele_day", key, query, zone, None) for key in by_tele]


def _partition(index: str, key: str, query: SlotQuery, zone: tzinfo, band: int | None) -> Partition:
    day = key.partition("#")[2]
    midnight = datetime.combine(date.fromisoformat(day), time(), zone)
    return Partition(index, key, day, max(query.start, midnight), band)


@lru_cache(maxsize=8192)
def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _not_above(bound: Bound | None, key: Bound) -> bool:
    return bound is not None and bound <= key


class Reader:
    """The search's candidates in order, read as far as asked (`take`, `more_after`)."""

    def __init__(
        self, query: SlotQuery, now: datetime, search_day: date, partitions: list[Partition], read: Read
    ) -> None:
        self.query, self.now, self.search_day = query, now, search_day
        self.partitions = partitions
        self._read = read
        self.queries = 0  # Queries sent
        self._placed: list[tuple[Key, ranking.Candidate]] = []  # in their final order
        self._pending: list[tuple[Key, ranking.Candidate]] = []  # found, not yet placed
        self._seen: set[tuple[str, str]] = set()
        self._first: int | None = None  # the first round's `Limit`
        self._tele_group = (
            ranking.Group.IN_PERSON if query.only_teleconsultation else ranking.Group.TELECONSULTATION
        )
        self._far_band = ranking.band(radius_floor_km(query.area.radius_km))

    @property
    def found(self) -> int:
        """Candidates found so far (placed or not)."""
        return len(self._placed) + len(self._pending)

    def take(self, offset: int, count: int) -> list[ranking.Candidate]:
        """The candidates at [offset, offset + count) of the order (fewer at its end)."""
        self.place(offset + count)
        return [found for _, found in self._placed[offset : offset + count]]

    def more_after(self, offset: int) -> bool:
        """Whether the order has a candidate at `offset` (whatever its place: only whether there is one)."""
        while self.found <= offset:
            open_ = [partition for partition in self.partitions if not partition.done]
            if not open_:
                return False
            self._round(open_, self.found + 1)
        return True

    def place(self, wanted: int) -> None:
        """Read until the first `wanted` candidates of the order are placed, or every one is."""
        while True:
            bound = self._bound()
            self._settle(bound)
            if len(self._placed) >= wanted or bound is None:
                return
            self._round(self._to_read(wanted) if self._first else self._opening(), wanted)

    # --- the merge -----------------------------------------------------------------------------------

    def bound(self, partition: Partition) -> Bound | None:
        """No slot the partition has not given yet has a key below this (None: it has given all)."""
        if partition.done:
            return None
        start = partition.start
        if partition.band is not None:
            return (ranking.Group.IN_PERSON, partition.band, start)
        # A teleconsultation partition gives teleconsultations, and in-person slots that are also
        # teleconsultations: those near enough are in a covering cell's partition of the same day, found
        # there first — unless it stopped at its limit (or they are in a cell not covering the radius).
        bounds = [(self._tele_group, 0, start), (ranking.Group.IN_PERSON, self._far_band, start)]
        bounds += [
            (ranking.Group.IN_PERSON, cell.band, max(start, cell.start))
            for cell in self.partitions
            if cell.capped and cell.band is not None and cell.day == partition.day
        ]
        return min(bounds)

    def _bound(self) -> Bound | None:
        return min(filter(None, map(self.bound, self.partitions)), default=None)

    def _settle(self, bound: Bound | None) -> None:
        """Place the candidates found whose key is below every open partition's bound."""
        if bound is None:
            ready, self._pending = self._pending, []
        else:
            ready = [entry for entry in self._pending if entry[0][:3] < bound]
            self._pending = [entry for entry in self._pending if entry[0][:3] >= bound]
        ready.sort(key=lambda entry: entry[0])
        self._placed += ready

    def _opening(self) -> list[Partition]:
        """The first round's partitions: those of the days opening within `FIRST_HORIZON`."""
        horizon = self.query.start + FIRST_HORIZON
        return [partition for partition in self.partitions if partition.start < horizon]

    def _to_read(self, wanted: int) -> list[Partition]:
        """The partitions that could still give one of the first `wanted` candidates: every open one while
        too few are found, else those whose bound is not above the last of them found so far."""
        open_ = [partition for partition in self.partitions if not partition.done]
        missing = wanted - len(self._placed)
        if len(self._pending) < missing:
            return open_
        last = heapq.nsmallest(missing, (entry[0] for entry in self._pending))[-1][:3]
        return [partition for partition in open_ if _not_above(self.bound(partition), last)] or open_

    def _round(self, partitions: Sequence[Partition], wanted: int) -> None:
        """One round of Queries, all at the same time (with the treating doctor's, on the first)."""
        first = self._first is None
        if self._first is None:
            self._first = min(PARTITION_LIMIT, wanted + FIRST_MARGIN)
        reads = [
            PartitionRead(partition.index, partition.key, self._limit(partition), partition.after)
            for partition in partitions
        ]
        doctor = self.query.treating_doctor
        if first and doctor is not None:
            reads += [PartitionRead(p.index, p.key, PARTITION_LIMIT, owner=doctor) for p in self.partitions]
        pages = self._read(reads)
        self.queries += len(reads)
        for partition, page in zip(partitions, pages, strict=False):
            partition.take(page, self._add(page.slots))
        for page in pages[len(partitions) :]:
            self._add(page.slots)

    def _limit(self, partition: Partition) -> int:
        """The first read: a few more than the candidates wanted; then as many again as it read — or all
        that is left, the last time or when it is `crowded`."""
        first = self._first or PARTITION_LIMIT
        left = PARTITION_LIMIT - partition.read
        if partition.reads == 0:
            return min(left, first)
        if partition.reads + 1 >= MAX_READS or partition.crowded:
            return left
        return min(left, max(first, partition.read))

    def _add(self, slots: Sequence[IndexedSlot]) -> int:
        """Take the candidates among these slots; how many there were (found before or not)."""
        count = 0
        for slot in slots:
            if (slot.pk, slot.sk) in self._seen:  # found through its cell and through teleconsultation
                count += 1
                continue
            found = ranking.candidate(slot, self.query, self.now)
            if found is not None:
                count += 1
                self._seen.add((slot.pk, slot.sk))
                self._pending.append((ranking.order_key(found, self.query, self.search_day), found))
        return count
