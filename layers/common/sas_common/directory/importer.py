"""Importing the national directory extract into the territory's `effecteurs` table.

The file is streamed: lines are read one at a time, grouped into entries (entries.py), and entries are
written in batches of `batch_size`: one BatchGetItem round for what the batch's items already hold, one
geocoding call for the places that are new, changed or not yet placed, a batch of puts for new items and
an UpdateItem per changed item. Memory holds one batch, the identifiers already seen in this territory
and the places whose removal is pending: bounded by the territory, not by the file.

Idempotent and non-destructive:
- an item whose directory content is unchanged (`dir_hash`) is not written: a re-import writes nothing;
- only the directory's attributes are written (directory/store.py): what the effecteur entered stays;
- a place the directory no longer lists is kept, marked `in_directory = false` (an agenda may refer to it).
  That is decided at the end of the file, as an unsorted file may list an effecteur's places apart.

Summary: `imported`, `unchanged`, `skipped` and `rejected_total` partition the data lines (`lines`): a
territory line is *unchanged* when neither its effecteur's profile nor its place needed a write.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from sas_common import geo
from sas_common.directory.entries import DirectoryEntry, Grouper, PlaceDraft, content_hash
from sas_common.directory.extract import ActivityLine, Rejection, check_header, read_line, text_lines
from sas_common.effecteurs.model import Position
from sas_common.geocoding import AddressQuery, Geocoder
from sas_common.stores.effecteurs import (
    DIR_HASH,
    DIR_PLACES,
    GEOCODED,
    IN_DIRECTORY,
    KNOWN_FROM,
    UPDATED_AT,
    DirectoryTable,
    ItemKey,
    Stored,
    place_key,
    profile_key,
)
from sas_common.tables import PK, SK

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

MAX_REJECTIONS = 1_000
BATCH_SIZE = 100


class RejectedLine(BaseModel):
    line: int = Field(description="1-based line number in the file (the header is line 1)")
    reason: str


class ImportSummary(BaseModel):
    lines: int = Field(0, description="data lines read (the header and blank lines excluded)")
    imported: int = Field(0, description="territory lines whose effecteur or place was created or updated")
    unchanged: int = Field(0, description="territory lines already up to date (nothing written)")
    skipped: int = Field(0, description="lines of other departments, or with no place")
    rejected: list[RejectedLine] = Field(default_factory=list, description=f"first {MAX_REJECTIONS}")
    rejected_total: int = 0
    not_geocoded: int = Field(0, description="places of the territory left without a position")
    effecteurs: int = Field(0, description="distinct effecteurs in the territory's lines")
    places: int = Field(0, description="distinct places in the territory's lines")
    withdrawn_places: int = Field(0, description="places no longer listed, kept with in_directory=false")
    writes: int = Field(0, description="items written (puts and updates)")


def _present(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Attributes to SET (non-empty) and to REMOVE (now empty): DynamoDB holds no empty values."""
    kept = {k: v for k, v in values.items() if v not in (None, "", [])}
    return kept, [k for k in values if k not in kept]


@dataclass
class _Update:
    key: ItemKey
    set_values: dict[str, Any]
    remove: list[str] = field(default_factory=list)


@dataclass
class _PlaceWork:
    """One place of a batch: its directory content, what the table holds, the position found for it."""

    national_id: str
    draft: PlaceDraft
    stored: Stored | None
    values: dict[str, Any]
    digest: str
    position: Position | None = None

    @property
    def key(self) -> ItemKey:
        return place_key(self.national_id, self.draft.id)

    @property
    def needs_position(self) -> bool:
        """New, changed, or never placed: geocoding is asked only for those (a re-import asks nothing)."""
        return self.stored is None or self.stored.dir_hash != self.digest or not self.stored.geocoded

    def query(self) -> AddressQuery:
        d = self.draft
        return AddressQuery(d.address, d.postal_code or None, d.commune_code or None, d.city or None)


class DirectoryImport:
    """One import of one extract into one territory; `run` streams the lines and returns the summary."""

    def __init__(
        self,
        departments: Collection[str],
        geocoder: Geocoder,
        table: DirectoryTable,
        *,
        batch_size: int = BATCH_SIZE,
        max_rejections: int = MAX_REJECTIONS,
    ) -> None:
        self.departments = frozenset(departments)
        self.geocoder = geocoder
        self.table = table
        self.batch_size = batch_size
        self.max_rejections = max_rejections
        self.summary = ImportSummary()
        self._seen: set[str] = set()
        # national id → places the table lists for them that this file has not listed (yet).
        self._unlisted: dict[str, set[str]] = {}
        self._now = datetime.now(UTC).isoformat(timespec="seconds")

    def run(self, lines: Iterable[str]) -> ImportSummary:
        rows = iter(lines)
        check_header(next(rows, None))
        grouper = Grouper()
        batch: list[DirectoryEntry] = []
        read = skipped = 0  # the per-line counters stay local: a pydantic attribute is slow to bump 2 M times
        for number, text in enumerate(rows, start=2):
            if not text.strip():
                continue
            read += 1
            outcome = read_line(text, number, self.departments)
            if isinstance(outcome, ActivityLine):
                finished = grouper.add(outcome)
                if finished is not None:
                    batch.append(finished)
                    if len(batch) >= self.batch_size:
                        self._write(batch)
                        batch = []
            elif isinstance(outcome, Rejection):
                self._reject(outcome)
            else:
                skipped += 1
        last = grouper.finish()
        if last is not None:
            batch.append(last)
        self._write(batch)
        self._withdraw_unlisted()
        self.summary.lines, self.summary.skipped, self.summary.writes = read, skipped, self.table.writes
        return self.summary

    def _reject(self, rejection: Rejection) -> None:
        self.summary.rejected_total += 1
        if len(self.summary.rejected) < self.max_rejections:
            self.summary.rejected.append(RejectedLine(line=rejection.line, reason=rejection.reason))

    def _write(self, batch: list[DirectoryEntry]) -> None:
        if not batch:
            return
        entries = _merge_same_effecteur(batch)
        keys = [profile_key(e.national_id) for e in entries]
        keys += [place_key(e.national_id, place_id) for e in entries for place_id in e.places]
        stored = self.table.read(keys)
        works = {e.national_id: [self._place_work(e, d, stored) for d in e.places.values()] for e in entries}
        wanted = [work for place_works in works.values() for work in place_works if work.needs_position]
        positions = self.geocoder.geocode_many([work.query() for work in wanted]) if wanted else []
        for work, position in zip(wanted, positions, strict=True):
            work.position = position
        puts: list[dict[str, Any]] = []
        updates: list[_Update] = []
        for entry in entries:
            profile_written = self._plan_profile(
                entry, stored.get(profile_key(entry.national_id)), puts, updates
            )
            for work in works[entry.national_id]:
                place_written = self._plan_place(work, puts, updates)
                if profile_written or place_written:
                    self.summary.imported += work.draft.lines
                else:
                    self.summary.unchanged += work.draft.lines
        self.table.put_all(puts)
        for update in updates:
            self.table.update(update.key, set_values=update.set_values, remove=update.remove)

    def _place_work(
        self, entry: DirectoryEntry, draft: PlaceDraft, stored: dict[ItemKey, Stored]
    ) -> _PlaceWork:
        values = draft.attributes()
        return _PlaceWork(
            entry.national_id,
            draft,
            stored.get(place_key(entry.national_id, draft.id)),
            values,
            content_hash(values),
        )

    def _plan_profile(
        self, entry: DirectoryEntry, stored: Stored | None, puts: list[dict[str, Any]], updates: list[_Update]
    ) -> bool:
        """The profile's write, if any: its directory attributes and the set of places listed."""
        national_id, listed = entry.national_id, set(entry.places)
        values = entry.attributes()
        digest = content_hash(values)
        first_time = national_id not in self._seen
        self._seen.add(national_id)
        self.summary.effecteurs += first_time
        self.summary.places += len(listed)
        if stored is None:
            pk, sk = profile_key(national_id)
            present = _present(values)[0]
            puts.append(
                {PK: pk, SK: sk, **present, DIR_HASH: digest, DIR_PLACES: listed, UPDATED_AT: self._now}
            )
            return True
        self._track_unlisted(national_id, stored.dir_places, listed, first_time)
        set_values: dict[str, Any] = {}
        remove: list[str] = []
        if stored.dir_hash != digest:
            set_values, remove = _present(values)
            set_values[DIR_HASH] = digest
            # A doctor an editor made known (never imported, so never this digest) is now the directory's.
            set_values[IN_DIRECTORY] = True
            remove.append(KNOWN_FROM)
        if not listed <= stored.dir_places:
            set_values[DIR_PLACES] = set(stored.dir_places | listed)
        if not set_values:
            return False
        set_values[UPDATED_AT] = self._now
        updates.append(_Update(profile_key(national_id), set_values, remove))
        return True

    def _track_unlisted(
        self, national_id: str, stored: frozenset[str], listed: set[str], first: bool
    ) -> None:
        if first:
            unlisted = stored - listed
            if unlisted:
                self._unlisted[national_id] = set(unlisted)
        elif national_id in self._unlisted:
            self._unlisted[national_id] -= listed

    def _plan_place(self, work: _PlaceWork, puts: list[dict[str, Any]], updates: list[_Update]) -> bool:
        """The place's write, if any: all its directory attributes when new or changed, its position when it
        had none, `in_directory` when it comes back to the directory."""
        stored, position = work.stored, work.position
        if work.needs_position and position is None:
            self.summary.not_geocoded += 1
        geo_values: dict[str, Any] = {
            "position": position.model_dump() if position else None,
            "cell": geo.cell_of(position) if position else None,
            GEOCODED: position is not None,
        }
        if stored is None or stored.dir_hash != work.digest:
            set_values, remove = _present({**work.values, **geo_values})
            set_values.update({DIR_HASH: work.digest, IN_DIRECTORY: True, UPDATED_AT: self._now})
            if stored is None:
                pk, sk = work.key
                puts.append({PK: pk, SK: sk, **set_values})
            else:
                updates.append(_Update(work.key, set_values, remove))
        elif not stored.geocoded and position is not None:
            updates.append(
                _Update(work.key, {**_present(geo_values)[0], IN_DIRECTORY: True, UPDATED_AT: self._now})
            )
        elif stored.in_directory is False:
            updates.append(_Update(work.key, {IN_DIRECTORY: True, UPDATED_AT: self._now}))
        else:
            return False
        return True

    def _withdraw_unlisted(self) -> None:
        """Places the table lists for an effecteur and the file did not: kept, marked out of the directory."""
        for national_id, place_ids in self._unlisted.items():
            if not place_ids:
                continue
            for place_id in sorted(place_ids):
                withdrawn = {IN_DIRECTORY: False, UPDATED_AT: self._now}
                if self.table.update(place_key(national_id, place_id), set_values=withdrawn, must_exist=True):
                    self.summary.withdrawn_places += 1
            self.table.update(
                profile_key(national_id),
                set_values={UPDATED_AT: self._now},
                delete_from_set={DIR_PLACES: set(place_ids)},
                must_exist=True,
            )


def _merge_same_effecteur(batch: list[DirectoryEntry]) -> list[DirectoryEntry]:
    """An unsorted file may list an effecteur twice within a batch: one entry each, in first-seen order."""
    merged: dict[str, DirectoryEntry] = {}
    for entry in batch:
        if entry.national_id in merged:
            merged[entry.national_id].absorb(entry)
        else:
            merged[entry.national_id] = entry
    return list(merged.values())


def import_extract(rt: Runtime, lines: Iterable[str]) -> ImportSummary:
    """Import an extract's lines (header first) into the territory's table, for its departments."""
    return DirectoryImport(rt.territory.departments, rt.geocoder, rt.effecteurs.directory_table()).run(lines)


def import_from_bucket(rt: Runtime, bucket: str, key: str) -> tuple[ImportSummary, str]:
    """Import an extract dropped in the import bucket, read as a stream (never the whole object in
    memory), and write its summary beside it; the summary and its key."""
    summary = import_extract(rt, text_lines(rt.import_bucket.chunks(bucket, key)))
    return summary, rt.import_bucket.put_summary(bucket, key, summary.model_dump_json().encode())
