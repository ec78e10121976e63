"""Search: the regulator's 30 km / 48 h search near a city and in the countryside, on territories of 10,000,
100,000 and 1,000,000 slots, beside a Scan of the whole slots table filtered in Python.

*The territory* is Haute-Garonne as the gazetteer places its communes: most doctors in and around Toulouse,
a share in the towns (Muret, Saint-Gaudens, Blagnac, Villefranche-de-Lauragais…), the rest scattered over
the ~570 other communes. Each doctor has one place (the commune's position, a few km of spread), a
profile, a current declaration (the editor shown, or a manual agenda; a few refusing editor slots) and a
free 15-minute slot at every quarter hour from 08:00 to 20:00 local over the next 48 h (96 slots): one in
four teleconsultation only, one in 50 held. Doctors are drawn one by one from seeded generators, so a
smaller territory is the first doctors of a larger one, spread the same way. Slot items are the production
layout (`sas_common.slots.model.new_item`, in the wire format of `sas_common.storage.wire_item`); profiles,
places and declarations are written by the production stores (`put_effecteur`, `ParticipationStore.save`).

*The search* is `sas_common.search.service.search_slots` with a `Runtime`, as the search function calls it.
*The baseline*, implemented here only: a Scan of the whole slots table, page after page (1 MB each), each
item filtered to the same criteria (not ended, not taken, starting in the window, in person within the
radius or offering teleconsultation) and the kept ones ordered (in person first, distance band, start).
It stops there: it does not read the owners of its first page as the search does (two BatchGetItems),
which favours the baseline. The Scan is the same for both searches, so each repetition scans once and
filters for each: a search's baseline time is the Scan's plus its own filtering.

*DynamoDB* is `DynamoStub`, a botocore `before-send` hook on the runtime's clients holding the tables in
memory with DynamoDB's semantics (partition key equality and sort key condition on the table and its
indexes, items in sort key order, `Limit`, at most 1 MB of items read per page as DynamoDB sizes items,
`LastEvaluatedKey`, at most 100 keys a BatchGetItem), which sleeps each read's time in the *round-trip
model* (`BASE_MS`, `PER_READ_UNIT_MS`). Everything on the client side is real and in this process:
boto3/botocore serialising requests and parsing answers, the stores, the search. The slots table is held as
its index partitions (sort keys and item sizes); an item is built (`new_item`) the first time a read
returns it and kept. Owners' profiles, places and declarations are written by the production stores when
first read. moto (the local platform's DynamoDB) answers the same two searches on a small territory as a
cross-check of the stub: same requests, same items read, same page.

*Per search*: DynamoDB requests by operation and items read (a botocore `after-call` hook); handler CPU
(process time of the `search_slots` call, all its threads, less the stub's own CPU); latency in the
round-trip model (the run's CPU plus the model's DynamoDB time on its critical path: the requests one after
the other, except the Queries one thread pool sends, side by side); and the run's wall time with the stub
sleeping each request's modelled time (its Queries overlapping as the search's thread pool really sends
them), which on a shared machine also counts the time it gave other processes. The Scan at 1M is not run
(minutes of botocore parsing): its pages are computed from the same index and its CPU from the per-item
cost measured at 100k.

`python -m bench.search` runs this section alone and writes it into `bench/results/REPORT.md`.
"""

from __future__ import annotations

import bisect
import cProfile
import dataclasses
import hashlib
import itertools
import json
import math
import operator
import os
import pstats
import random
import statistics
import textwrap
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from unittest import mock
from zoneinfo import ZoneInfo

from botocore.awsrequest import AWSResponse, HTTPHeaders

from sas_common import storage
from sas_common.effecteurs.model import Effecteur, Place, Position
from sas_common.geo import cell_of, distance_km
from sas_common.geocoding.gazetteer import default_gazetteer
from sas_common.participation.rules import Declaration, shown_editors
from sas_common.participation.versions import Saved
from sas_common.queues import QUEUES
from sas_common.runtime import Runtime
from sas_common.search.service import CURSOR_KEY, search_slots
from sas_common.settings import Settings, function_environment
from sas_common.slots.keys import MANUAL_SOURCE, ttl_epoch, utc_text
from sas_common.slots.model import BOOKED, ConsultationType, Slot, Visibility, new_item, search_keys
from sas_common.stores.slots import SEARCH_CONCURRENCY
from sas_common.tables import EFFECTEUR_PREFIX, PK, SK, SLOTS, TABLES, TableDef, effecteur_pk
from sas_common.territory import territory_path
from sas_local.aws import FAKE_CREDENTIALS, LocalAws, local_table_names

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# --- what is measured ------------------------------------------------------------------------------------

SIZES = (10_000, 100_000, 1_000_000)
REPETITIONS = {10_000: 5, 100_000: 5, 1_000_000: 3}  # of each search
SCAN_REPETITIONS = {10_000: 3, 100_000: 1}  # the Scan at 1M is modelled, not run
MOTO_SIZE = 2_000  # moto's response serialiser costs ≈ 5 ms per item: the cross-check stays small
RADIUS_KM = 30
PAGE_SIZE = 20  # the search's default page
SEED = 31

# --- the round-trip model --------------------------------------------------------------------------------

# A request costs a base — the round trip in-region on a kept-alive connection and the service's fixed
# work: "for most atomic operations, such as GetItem and PutItem, you can expect an average latency in
# single-digit milliseconds" (AWS knowledge center, "DynamoDB high latency"), 5 ms with the network — plus a
# cost per 4 KB read unit of what it reads: an assumption (≈ 26 ms more for a full 1 MB page, the service
# reading and sending ≈ 40 MB/s to one request), varied in the report. Query and Scan read units are the
# sum of the items read rounded up to 4 KB; GetItem and BatchGetItem round each item.
BASE_MS = 5.0
PER_READ_UNIT_MS = 0.1
SENSITIVITY_PER_UNIT_MS = (0.05, 0.4)
READ_UNIT = 4096
PAGE_BYTES = 1024 * 1024  # a Query or Scan page: at most 1 MB of items read
BATCH_GET_KEYS = 100

# --- the territory ---------------------------------------------------------------------------------------

SLOT_MINUTES = 15
DAY_OPENS, DAY_CLOSES = 8, 20  # local hours with slots
SLOTS_PER_DOCTOR = 96  # each quarter hour from 08:00 to 20:00, twice in 48 h (95 or 94 at some hours)
TELE_EVERY = 4  # one slot in four teleconsultation only
HELD_EVERY = 50  # one slot in 50 held or booked (`booked` = 1)
EDITOR_SHARE = 0.6  # doctors whose slots come from the editor (the others have a manual agenda)
REFUSING_SHARE = 0.03  # editor doctors refusing editor slots: their slots must be hidden
DOMICILE_SHARE = 0.05  # doctors seeing patients at home
EDITOR_ID = "demo-editor"  # the demo territory's editor (level 2)
NATIONAL_ID_BASE = 831_000_000_000  # doctor n: national id 8 + (31,000,000,000 + n), an RPPS's shape


@dataclass(frozen=True)
class Town:
    name: str
    commune_code: str
    share: float  # of the territory's doctors
    spread_km: float  # standard deviation of a doctor's distance to the town's point, each way


# Shares of doctors, roughly as the population: Toulouse and its suburbs ≈ 64 %, the towns ≈ 17 %, the
# rest (≈ 19 %) scattered one by one over the other communes: the countryside is empty.
TOWNS = (
    Town("Toulouse", "31555", 0.38, 3.0),
    Town("Colomiers", "31149", 0.035, 1.2),
    Town("Tournefeuille", "31557", 0.03, 1.2),
    Town("Blagnac", "31069", 0.03, 1.2),
    Town("Cugnaux", "31157", 0.02, 1.0),
    Town("Balma", "31044", 0.02, 1.0),
    Town("Plaisance-du-Touch", "31424", 0.02, 1.0),
    Town("Ramonville-Saint-Agne", "31446", 0.015, 1.0),
    Town("Castanet-Tolosan", "31113", 0.015, 1.0),
    Town("L'Union", "31561", 0.015, 1.0),
    Town("Portet-sur-Garonne", "31433", 0.01, 1.0),
    Town("Aucamville", "31022", 0.01, 1.0),
    Town("Muret", "31395", 0.035, 1.5),
    Town("Saint-Gaudens", "31483", 0.035, 1.5),
    Town("Villefranche-de-Lauragais", "31582", 0.015, 1.0),
    Town("Revel", "31451", 0.015, 1.0),
    Town("Auterive", "31033", 0.015, 1.0),
    Town("Carbonne", "31107", 0.012, 1.0),
    Town("Grenade", "31232", 0.012, 1.0),
    Town("Fronton", "31202", 0.01, 1.0),
    Town("Bagnères-de-Luchon", "31042", 0.01, 1.0),
)
COUNTRYSIDE_SPREAD_KM = 1.5


@dataclass(frozen=True, eq=False)  # compared and hashed as themselves: the two spots
class Spot:
    label: str
    short: str
    position: Position


CITY = Spot("Toulouse (Capitole)", "city", Position(lat=43.6045, lon=1.4440))
COUNTRYSIDE = Spot("L'Isle-en-Dodon (Comminges)", "countryside", Position(lat=43.3815, lon=0.8353))
SPOTS = (CITY, COUNTRYSIDE)

# --- goals (issue 9) -------------------------------------------------------------------------------------

GOAL_SCAN_RATIO = 50.0
GOAL_CPU_MS = 20.0
GOAL_SIZE = 100_000


@dataclass(frozen=True)
class Doctor:
    number: int
    town: str
    commune_code: str
    position: Position
    postal_code: str
    editor: bool
    refuses: bool
    domicile: bool
    public: bool  # editor slots shown to the public too (PUBLIC + SNP), else SNP only

    @property
    def national_id(self) -> str:
        return str(NATIONAL_ID_BASE + self.number)

    @property
    def source(self) -> str:
        return EDITOR_ID if self.editor else MANUAL_SOURCE

    @property
    def place_id(self) -> str:
        return f"pl{self.number:06d}"


@cache
def _communes() -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """The 31's communes (code → position) and a postal code of each, from the gazetteer."""
    gazetteer = default_gazetteer()
    positions = {code: place for code, place in gazetteer.by_commune.items() if code.startswith("31")}
    postal: dict[str, str] = {}
    for postal_code, code in sorted(gazetteer.by_postal_code.items()):
        if code in positions:
            postal.setdefault(code, postal_code)
    return positions, postal


@cache
def _countryside() -> list[str]:
    positions, _ = _communes()
    return sorted(set(positions) - {town.commune_code for town in TOWNS})


def _town(draw: float) -> Town | None:
    for town in TOWNS:
        if draw < town.share:
            return town
        draw -= town.share
    return None


@cache
def doctor(number: int) -> Doctor:
    """The territory's doctor `number`, the same whatever the territory's size (its own seeded draws)."""
    rng = random.Random(f"{SEED}-{number}")  # noqa: S311 - reproducible data, not a secret
    positions, postal = _communes()
    town = _town(rng.random())
    code = town.commune_code if town else rng.choice(_countryside())
    spread = town.spread_km if town else COUNTRYSIDE_SPREAD_KM
    lat, lon = positions[code]
    north, east = rng.gauss(0, spread), rng.gauss(0, spread)
    editor = rng.random() < EDITOR_SHARE
    return Doctor(
        number=number,
        town=town.name if town else "countryside",
        commune_code=code,
        position=Position(
            lat=round(lat + north / 111.2, 5),
            lon=round(lon + east / (111.2 * math.cos(math.radians(lat))), 5),
        ),
        postal_code=postal.get(code, "31000"),
        editor=editor,
        refuses=editor and rng.random() < REFUSING_SHARE,
        domicile=rng.random() < DOMICILE_SHARE,
        public=rng.random() < 0.5,
    )


def doctor_of(national_id: str) -> Doctor | None:
    """The territory's doctor of a national id, None for another."""
    if len(national_id) != 12 or not national_id.isdigit():
        return None
    number = int(national_id) - NATIONAL_ID_BASE
    return doctor(number) if 0 <= number < max(SIZES) else None


def doctors_for(slots: int, per_doctor: int) -> int:
    return -(-slots // per_doctor)


def slot_starts(now: datetime, zone: ZoneInfo) -> list[datetime]:
    """Each quarter hour after `now` within 48 h whose local time is within opening hours."""
    first = (now + timedelta(minutes=SLOT_MINUTES)).replace(second=0, microsecond=0)
    first -= timedelta(minutes=first.minute % SLOT_MINUTES)
    steps = (first + timedelta(minutes=SLOT_MINUTES * n) for n in range(48 * 60 // SLOT_MINUTES))
    return [
        start
        for start in steps
        if start + timedelta(minutes=SLOT_MINUTES) <= now + timedelta(hours=48)
        and DAY_OPENS <= start.astimezone(zone).hour < DAY_CLOSES
    ][:SLOTS_PER_DOCTOR]


def is_tele(index: int) -> bool:
    return index % TELE_EVERY == TELE_EVERY - 1


def held(doc: Doctor, index: int) -> bool:
    return (doc.number * 7 + index) % HELD_EVERY == 0


class KeyedSlot(NamedTuple):
    """What `search_keys` reads of a `Slot` (a `Slot` costs ~60 µs to make even unvalidated: a million
    of them, a minute)."""

    source: str
    national_id: str
    slot_key: str
    start: datetime
    consultation_types: tuple[ConsultationType, ...]
    position: Position


def keyed_slot(doc: Doctor, index: int, start: datetime) -> KeyedSlot:
    kind = ConsultationType.DOMICILE if doc.domicile else ConsultationType.CABINET
    return KeyedSlot(
        source=doc.source,
        national_id=doc.national_id,
        slot_key=f"ed{doc.number:06d}-{index:02d}" if doc.editor else f"av{doc.number:06d}",
        start=start,
        consultation_types=(ConsultationType.TELECONSULTATION,) if is_tele(index) else (kind,),
        position=doc.position,
    )


def slot_fields(doc: Doctor, index: int, start: datetime) -> dict[str, Any]:
    return {
        **keyed_slot(doc, index, start)._asdict(),
        "end": start + timedelta(minutes=SLOT_MINUTES),
        "visibility": (Visibility.SNP, Visibility.PUBLIC) if doc.editor and doc.public else (Visibility.SNP,),
        "place_id": doc.place_id,
        "specialty_code": "SM54",
        "editor_id": EDITOR_ID if doc.editor else None,
        "editor_level": 2 if doc.editor else None,
        "availability_id": None if doc.editor else f"av{doc.number:06d}",
    }


def slot_item(doc: Doctor, index: int, start: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """The slot's item as written (`new_item`), in wire format; held by the booking flow for a few."""
    item = new_item(Slot(**slot_fields(doc, index, start)), zone)
    if held(doc, index):
        item[BOOKED] = 1
    return storage.wire_item(item)


# --- DynamoDB's item sizes and the round-trip model ------------------------------------------------------


def value_size(value: Mapping[str, Any]) -> int:
    """An attribute value's size as DynamoDB counts it (Developer Guide, "Item sizes and formats"): a
    string its UTF-8 bytes, a number 1 byte per 2 significant digits + 1, a boolean or null 1, a list or map
    3 bytes plus 1 per element plus the elements (and a map's names)."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = len(inner.lstrip("-").replace(".", "").strip("0")) or 1
        return -(-digits // 2) + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + value_size(element) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + value_size(element) for name, element in inner.items())
    raise NotImplementedError(f"attribute type {kind}")


def item_size(wire: Mapping[str, Mapping[str, Any]]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in wire.items())


def read_units(size: int) -> int:
    return max(1, -(-size // READ_UNIT))


def modelled_ms(units: int, per_unit_ms: float = PER_READ_UNIT_MS) -> float:
    return BASE_MS + per_unit_ms * units


class Stored(NamedTuple):
    keys: dict[str, str]  # the item's string attributes (keys and index keys are among them)
    text: str  # the item in wire JSON
    size: int


def stored(wire: Mapping[str, Mapping[str, Any]], size: int | None = None) -> Stored:
    keys = {name: value["S"] for name, value in wire.items() if "S" in value}
    return Stored(keys, json.dumps(wire, separators=(",", ":")), item_size(wire) if size is None else size)


@dataclass(frozen=True)
class Call:
    """A read the stub answered, with what it read and its time in the model."""

    operation: str
    index: str | None
    partition: str | None
    items: int
    size: int
    units: int
    began: float = 0.0  # perf_counter when it reached the stub, and when it answered
    ended: float = 0.0
    thread: str = ""  # the thread that sent it
    limit: int | None = None  # a Query's `Limit`
    round: int = 0  # a search's Query: its round of index reads (`SlotStore.search_pages` calls), from 1

    def ms(self, per_unit_ms: float = PER_READ_UNIT_MS) -> float:
        return modelled_ms(self.units, per_unit_ms)


def _read(
    operation: str, index: str | None, partition: str | None, items: Sequence[int], summed: bool
) -> Call:
    """A read of items of these sizes: Query and Scan round their sum to read units, the others each item."""
    units = read_units(sum(items)) if summed else max(1, sum(read_units(size) for size in items))
    return Call(operation, index, partition, len(items), sum(items), units)


# --- the slots table, as its index ------------------------------------------------------------------------


SIZE_CHECK_EVERY = 7  # one item built in 7 has its size computed again and checked against its row
HELD_SIZE = item_size({BOOKED: {"N": "1"}})  # what the booking flow's `booked` = 1 adds to an item


class Row(NamedTuple):
    sort_key: str  # `start_sk`
    size: int
    number: int  # the doctor
    slot: int  # the doctor's slot (its index among them)


class VirtualSlots:
    """A territory's slots table held as its search indexes' partitions (sort keys and item sizes), each
    item built (`new_item`) the first time a read returns it.

    Index keys come from `search_keys` (what `new_item` files the item under). Sizes are exact without
    building every item: one item per doctor and kind (teleconsultation or not) is built and
    sized; the doctor's other items of that kind differ from it in their `ttl` number and `booked` counter
    only (every other attribute that varies is fixed-width); items built are checked against their row (one
    in `SIZE_CHECK_EVERY`)."""

    def __init__(self, slots: int, starts: Sequence[datetime], zone: ZoneInfo) -> None:
        self.slots, self.starts, self.zone = slots, list(starts), zone
        self.partitions: dict[tuple[str, str], list[Row]] = {}
        self.rows: list[Row] = []  # every slot, in the order the territory made them (the Scan's)
        self._made: dict[tuple[int, int], Stored] = {}
        self._lock = threading.Lock()
        ttl = [value_size({"N": str(ttl_epoch(start + timedelta(minutes=SLOT_MINUTES)))}) for start in starts]
        indexes = [index for index in SLOTS.indexes if index.sort_key == "start_sk"]
        for number in range(doctors_for(slots, len(starts))):
            self._add_doctor(doctor(number), ttl, indexes)
        for rows in self.partitions.values():
            rows.sort()

    def _add_doctor(self, doc: Doctor, ttl: Sequence[int], indexes: Sequence[Any]) -> None:
        base: dict[bool, int] = {}
        for index, start in enumerate(self.starts[: self.slots - len(self.rows)]):
            tele, extra = is_tele(index), HELD_SIZE if held(doc, index) else 0
            if tele not in base:
                base[tele] = item_size(slot_item(doc, index, start, self.zone)) - ttl[index] - extra
            keys = search_keys(cast(Slot, keyed_slot(doc, index, start)), self.zone)
            row = Row(keys["start_sk"], base[tele] + ttl[index] + extra, doc.number, index)
            for found in indexes:
                if found.partition_key in keys:
                    self.partitions.setdefault((found.name, keys[found.partition_key]), []).append(row)
            self.rows.append(row)

    def item(self, row: Row) -> Stored:
        made = self._made.get((row.number, row.slot))
        if made is None:
            wire = slot_item(doctor(row.number), row.slot, self.starts[row.slot], self.zone)
            made = stored(wire, row.size)
            if (row.number + row.slot) % SIZE_CHECK_EVERY == 0 and item_size(wire) != row.size:
                raise AssertionError(
                    f"item size {item_size(wire)}, its row says {row.size}: {made.text[:200]}"
                )
            with self._lock:
                self._made[(row.number, row.slot)] = made
        return made

    def build_all(self) -> None:
        for row in self.rows:
            self.item(row)


# --- the stub --------------------------------------------------------------------------------------------


class Conditional(Exception):
    """A write's condition failed: answered as DynamoDB's ConditionalCheckFailedException."""


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class KeyCondition(NamedTuple):
    partition: str
    test: Callable[[str], bool]


def key_condition(body: Mapping[str, Any], partition_key: str) -> KeyCondition:
    """A Query's KeyConditionExpression as the stores write it: `<pk> = :v`, then optionally `AND` and
    `<sk> BETWEEN :a AND :b`, `begins_with(<sk>, :v)` or `<sk> <op> :v` (in parentheses or not)."""
    names = body.get("ExpressionAttributeNames", {})
    values = {name: value.get("S", "") for name, value in body.get("ExpressionAttributeValues", {}).items()}
    text = body["KeyConditionExpression"]
    words = [
        names.get(word, values.get(word, word))
        for word in text.replace("(", " ").replace(")", " ").replace(",", " ").split()
    ]
    if words[:2] != [partition_key, "="]:
        raise NotImplementedError(f"key condition {text!r}")
    partition, sort = words[2], words[4:]  # after `<pk> = <value> AND`
    if not sort:
        return KeyCondition(partition, lambda _: True)
    if sort[0] == "begins_with":
        return KeyCondition(partition, lambda value: value.startswith(sort[2]))
    if sort[1] == "BETWEEN":
        return KeyCondition(partition, lambda value: sort[2] <= value <= sort[4])
    compare = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq}
    return KeyCondition(partition, lambda value: bool(compare[sort[1]](value, sort[2])))


class DynamoStub:
    """DynamoDB in memory for this benchmark, answering the botocore requests of a runtime's clients.

    Tables hold items by (pk, sk), the slots table as `VirtualSlots`. Reads follow DynamoDB: a Query
    matches the partition key and the sort key condition, in sort key order, reads at most `Limit` items
    and at most 1 MB per page, and answers a `LastEvaluatedKey` when more remain; a Scan reads the table
    1 MB at a time; BatchGetItem takes at most 100 keys. Writes (the seeding) are applied as asked, a
    PutItem's `attribute_not_exists`/`attribute_exists` condition checked, a transaction's not.
    `owners` makes a doctor's profile, place and declaration (through the production stores) the first
    time a read asks for them. While `timing`, each read sleeps its modelled time and is logged (`calls`).
    """

    def __init__(self, table_defs: Mapping[str, TableDef]) -> None:
        self.table_defs = dict(table_defs)  # physical name → definition
        self.tables: dict[str, dict[tuple[str, str], Stored]] = {name: {} for name in table_defs}
        self.slots: tuple[str, VirtualSlots] | None = None
        self.owners: Callable[[Doctor], None] | None = None
        self._seeded: set[int] = set()
        self._indexes: dict[tuple[str, str | None], dict[str, list[Stored]]] = {}
        self._resume: dict[tuple[str, str], int] = {}  # a Scan's LastEvaluatedKey → where it goes on
        self.timing = False
        self.calls: list[Call] = []
        self.round = 0  # the search's round of index reads under way (0: none)
        self.cpu_seconds = 0.0
        self._lock = threading.Lock()
        self._nested = threading.local()

    def use_slots(self, table: str, slots: VirtualSlots) -> None:
        self.slots = (table, slots)
        self._resume = {}

    def __call__(self, request: Any, **_: Any) -> AWSResponse:  # a botocore before-send handler
        cpu, began = time.thread_time(), time.perf_counter()
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        outermost = not getattr(self._nested, "depth", 0)  # an owner made while answering: counted once
        self._nested.depth = getattr(self._nested, "depth", 0) + 1
        call: Call | None = None
        try:
            answered = self._answer(operation, json.loads(request.body))
            answer, call = answered if isinstance(answered, tuple) else (answered, None)
            status = 200
        except Conditional:
            answer, status = _CONDITION_FAILED, 400
        finally:
            self._nested.depth -= 1
        if call is not None and self.timing:
            time.sleep(call.ms() / 1000)
        with self._lock:
            self.cpu_seconds += time.thread_time() - cpu if outermost else 0.0
            if call is not None and self.timing:
                ended, thread = time.perf_counter(), threading.current_thread().name
                tags = {"began": began, "ended": ended, "thread": thread, "round": self.round}
                self.calls.append(Call(**{**call.__dict__, **tags}))
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        return AWSResponse(request.url, status, headers, _Body(answer.encode()))

    def _answer(self, operation: str, body: dict[str, Any]) -> str | tuple[str, Call]:
        handlers: dict[str, Callable[[dict[str, Any]], str | tuple[str, Call]]] = {
            "Query": self._query,
            "Scan": self._scan,
            "GetItem": self._get_item,
            "BatchGetItem": self._batch_get,
            "PutItem": self._put_item,
            "BatchWriteItem": self._batch_write,
            "TransactWriteItems": self._transact_write,
        }
        if operation not in handlers:
            raise NotImplementedError(f"the search benchmark's DynamoDB stub does not answer {operation}")
        return handlers[operation](body)

    # --- reads -------------------------------------------------------------------------------------------

    def _keys(self, table: str, index: str | None) -> tuple[str, str | None]:
        definition = self.table_defs[table]
        if index is None:
            return definition.partition_key, definition.sort_key
        return definition.index(index).partition_key, definition.index(index).sort_key

    def _query(self, body: dict[str, Any]) -> tuple[str, Call]:
        table, index = body["TableName"], body.get("IndexName")
        partition_key, _sort_key = self._keys(table, index)
        condition = key_condition(body, partition_key)
        if self.slots and table == self.slots[0]:
            rows, more = self._slot_rows(index, condition, body)
            page = [self.slots[1].item(row) for row in rows]
        else:
            page, more = self._rows(table, index, condition, body)
        key = self._last_key(page[-1], table, index) if more and page else None
        call = _read("Query", index, condition.partition, [item.size for item in page], summed=True)
        return _items(page, key), dataclasses.replace(call, limit=body.get("Limit"))

    def _slot_rows(
        self, index: str | None, condition: KeyCondition, body: Mapping[str, Any]
    ) -> tuple[list[Row], bool]:
        if index is None or self.slots is None:
            raise NotImplementedError("the stub's slots table answers its search indexes only")
        rows = self.slots[1].partitions.get((index, condition.partition), [])
        start = 0
        if "ExclusiveStartKey" in body:
            start = bisect.bisect_right(
                rows, body["ExclusiveStartKey"]["start_sk"]["S"], key=lambda row: row.sort_key
            )
        return _page(
            (row for row in rows[start:] if condition.test(row.sort_key)),
            body.get("Limit"),
            lambda row: row.size,
        )

    def _rows(
        self, table: str, index: str | None, condition: KeyCondition, body: Mapping[str, Any]
    ) -> tuple[list[Stored], bool]:
        rows = self._partition(table, index, condition.partition)
        _, sort_key = self._keys(table, index)
        if body.get("ScanIndexForward") is False:
            rows = rows[::-1]
        start = 0
        if "ExclusiveStartKey" in body:
            wanted = (body["ExclusiveStartKey"][PK]["S"], body["ExclusiveStartKey"][SK]["S"])
            start = 1 + next(n for n, row in enumerate(rows) if (row.keys[PK], row.keys[SK]) == wanted)
        found = (row for row in rows[start:] if condition.test(row.keys.get(sort_key or PK, "")))
        return _page(found, body.get("Limit"), lambda row: row.size)

    def _partition(self, table: str, index: str | None, value: str) -> list[Stored]:
        built = self._indexes.get((table, index))
        if built is None:
            partition_key, sort_key = self._keys(table, index)
            built = {}
            for item in self.tables[table].values():
                if partition_key in item.keys and (sort_key is None or sort_key in item.keys):
                    built.setdefault(item.keys[partition_key], []).append(item)
            for items in built.values():
                items.sort(key=lambda item: (item.keys.get(sort_key or PK, ""), item.keys[PK], item.keys[SK]))
            self._indexes[(table, index)] = built
        return built.get(value, [])

    def _last_key(self, item: Stored, table: str, index: str | None) -> dict[str, dict[str, str]]:
        names = [PK, SK, *(self._keys(table, index) if index else ())]
        return {name: {"S": item.keys[name]} for name in dict.fromkeys(names) if name}

    def _scan(self, body: dict[str, Any]) -> tuple[str, Call]:
        table = body["TableName"]
        if not self.slots or table != self.slots[0]:
            raise NotImplementedError("the stub scans the slots table only")
        slots = self.slots[1]
        start = self._resume[_key_of(body["ExclusiveStartKey"])] if "ExclusiveStartKey" in body else 0
        rows, more = _page(iter(slots.rows[start:]), body.get("Limit"), lambda row: row.size)
        page = [slots.item(row) for row in rows]
        key = self._last_key(page[-1], table, None) if more and page else None
        if key:
            self._resume[_key_of(key)] = start + len(page)
        return _items(page, key), _read("Scan", None, None, [item.size for item in page], summed=True)

    def _get_item(self, body: dict[str, Any]) -> tuple[str, Call]:
        self._owners([body["Key"]])
        found = self.tables[body["TableName"]].get(_key_of(body["Key"]))
        answer = f'{{"Item":{found.text}}}' if found else "{}"
        return answer, _read("GetItem", None, None, [found.size] if found else [], summed=False)

    def _batch_get(self, body: dict[str, Any]) -> tuple[str, Call]:
        requested = body["RequestItems"]
        if sum(len(asked["Keys"]) for asked in requested.values()) > BATCH_GET_KEYS:
            raise ValueError("BatchGetItem takes at most 100 keys")
        parts, sizes = [], []
        for table, asked in requested.items():
            self._owners(asked["Keys"])
            found = [item for item in map(self.tables[table].get, map(_key_of, asked["Keys"])) if item]
            parts.append(json.dumps(table) + ":[" + ",".join(item.text for item in found) + "]")
            sizes += [item.size for item in found]
        answer = '{"Responses":{' + ",".join(parts) + '},"UnprocessedKeys":{}}'
        return answer, _read("BatchGetItem", None, None, sizes, summed=False)

    def _owners(self, keys: Sequence[Mapping[str, Any]]) -> None:
        """Make the territory's doctors these keys belong to, once each (their writes come back here)."""
        for key in keys:
            pk = key.get(PK, {}).get("S", "")
            found = doctor_of(pk.removeprefix(EFFECTEUR_PREFIX)) if pk.startswith(EFFECTEUR_PREFIX) else None
            if found is not None and self.owners is not None and found.number not in self._seeded:
                self._seeded.add(found.number)
                self.owners(found)

    # --- writes (seeding) --------------------------------------------------------------------------------

    def _put(self, table: str, wire: Mapping[str, Any]) -> None:
        item = stored(wire)
        self.tables[table][(item.keys[PK], item.keys[SK])] = item
        self._indexes = {key: built for key, built in self._indexes.items() if key[0] != table}

    def _put_item(self, body: dict[str, Any]) -> str:
        table, wire = body["TableName"], body["Item"]
        exists = _key_of(wire) in self.tables[table]
        condition = body.get("ConditionExpression", "")
        if ("attribute_not_exists" in condition and exists) or (
            "attribute_exists" in condition.replace("attribute_not_exists", "") and not exists
        ):
            raise Conditional
        self._put(table, wire)
        return "{}"

    def _batch_write(self, body: dict[str, Any]) -> str:
        for table, writes in body["RequestItems"].items():
            for write in writes:
                if "PutRequest" not in write:
                    raise NotImplementedError("the stub's BatchWriteItem puts only")
                self._put(table, write["PutRequest"]["Item"])
        return '{"UnprocessedItems":{}}'

    def _transact_write(self, body: dict[str, Any]) -> str:
        for action in body["TransactItems"]:
            if "Put" not in action:
                raise NotImplementedError(f"transaction action {sorted(action)}")
            self._put(action["Put"]["TableName"], action["Put"]["Item"])
        return "{}"


_CONDITION_FAILED = json.dumps(
    {
        "__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
        "message": "The conditional request failed",
    }
)


def _key_of(key: Mapping[str, Any]) -> tuple[str, str]:
    return key[PK]["S"], key[SK]["S"]


def _page(rows: Iterator[Any], limit: int | None, size_of: Callable[[Any], int]) -> tuple[list[Any], bool]:
    """The rows of a page — up to `Limit`, and up to 1 MB read — and whether more remain."""
    page: list[Any] = []
    size = 0
    for row in rows:
        if size + size_of(row) > PAGE_BYTES or (limit is not None and len(page) == limit):
            return page, True
        page.append(row)
        size += size_of(row)
    return page, False


def _items(page: Sequence[Stored], last_key: Mapping[str, Any] | None) -> str:
    answer = '{"Items":[' + ",".join(row.text for row in page) + "]"
    answer += f',"Count":{len(page)},"ScannedCount":{len(page)}'
    if last_key:
        answer += ',"LastEvaluatedKey":' + json.dumps(last_key)
    return answer + "}"


# --- a runtime on the stub or on moto --------------------------------------------------------------------


def _environment() -> dict[str, str]:
    """The search function's environment: the demo territory (Haute-Garonne), the local table names."""
    queues = {
        queue.logical_name: f"https://sqs.eu-west-3.amazonaws.com/1/{queue.logical_name}" for queue in QUEUES
    }
    territory = territory_path("demo").read_text(encoding="utf-8")
    return {
        **FAKE_CREDENTIALS,
        **function_environment(territory, local_table_names(), queues),
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


@contextmanager
def _environ() -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(_environment())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def table_defs() -> dict[str, TableDef]:
    names = local_table_names()
    return {names[table.logical_name]: table for table in TABLES}


class Reads:
    """DynamoDB requests and items read, by operation (a botocore after-call handler)."""

    def __init__(self) -> None:
        self.requests: dict[str, int] = {}
        self.items = 0
        self._lock = threading.Lock()

    def reset(self) -> None:
        self.requests, self.items = {}, 0

    def __call__(self, parsed: Mapping[str, Any], model: Any, **_: Any) -> None:
        items = len(parsed.get("Items", ())) + sum(
            len(found) for found in parsed.get("Responses", {}).values()
        )
        with self._lock:
            self.requests[model.name] = self.requests.get(model.name, 0) + 1
            self.items += items + (1 if parsed.get("Item") else 0)


def instrument(rt: Runtime, stub: DynamoStub | None) -> Reads:
    """Count the runtime's DynamoDB requests (both its clients, made now) and, with a stub, answer them and
    number the search's rounds of index reads (each `SlotStore.search_pages` call: one round)."""
    reads = Reads()
    for client in (rt.aws.dynamodb.meta.client, rt.aws.dynamodb_client):
        client.meta.events.register("after-call.dynamodb", cast(Any, reads), unique_id="bench-search-reads")
        if stub is not None:
            client.meta.events.register_first(
                "before-send.dynamodb", cast(Any, stub), unique_id="bench-search-stub"
            )
    if stub is not None:
        rounds = itertools.count(1)
        search_pages = rt.slots.search_pages

        def numbered(reads: Any, start: datetime, end: datetime) -> Any:
            stub.round = next(rounds)
            try:
                return search_pages(reads, start, end)
            finally:
                stub.round = 0

        rt.slots.search_pages = numbered  # type: ignore[method-assign]
    return reads


# --- owners, through the production stores ---------------------------------------------------------------


def declaration_of(doc: Doctor) -> Declaration:
    if doc.editor:
        return Declaration(
            participates=True,
            modality="individual",
            uses_interfaced_software=True,
            editors=[EDITOR_ID],
            refuses_editor_slots=doc.refuses,
        )
    return Declaration(
        participates=True, modality="individual", uses_interfaced_software=False, honour_two_hours=True
    )


def seed_owner(rt: Runtime, doc: Doctor, now: datetime) -> None:
    """A doctor's profile and place (`put_effecteur`) and current declaration (`ParticipationStore.save`,
    the items of a first save)."""
    profile = Effecteur(
        national_id=doc.national_id,
        last_name=f"Médecin {doc.number}",
        first_name="Camille",
        specialty_code="SM54",
        specialty_label="Médecine générale",
        phone="0561000000",
    )
    place = Place(
        id=doc.place_id,
        name=f"Cabinet {doc.town}",
        address=f"{doc.number % 90 + 1} rue de la Santé",
        postal_code=doc.postal_code,
        city=doc.town,
        commune_code=doc.commune_code,
        position=doc.position,
        phone="0561000001",
    )
    rt.effecteurs.put_effecteur(profile, [place])
    declaration = declaration_of(doc)
    content = declaration.model_dump(mode="json")
    saved = Saved(effecteur_pk(doc.national_id), 1, content, now.strftime("%Y-%m-%dT%H:%M:%SZ"), "bench")
    rt.participations.save(None, saved, editors=shown_editors(declaration), declared=frozenset())


# --- one search, one baseline ----------------------------------------------------------------------------

PageKey = tuple[bool, int, str]  # teleconsultation only, distance band, start (UTC text)


@dataclass
class Measure:
    """One search (or baseline) as run, or as modelled."""

    requests: dict[str, int]
    items: int  # items read: every item of every answer
    bytes_read: int  # their size as DynamoDB counts it
    cpu_ms: float  # the handler's CPU, the stub's own taken out
    wall_ms: float  # wall time, the stub sleeping each request's modelled time
    calls: list[Call] = field(repr=False)
    page: list[PageKey] = field(default_factory=list, repr=False)
    page_ids: list[str] = field(default_factory=list, repr=False)
    stub_cpu_ms: float = 0.0


def band(distance: float) -> int:
    """The documented distance bands: 0–5, 5–10, 10–20, beyond 20 km."""
    return sum(distance > bound for bound in (5.0, 10.0, 20.0))


def _start(stub: DynamoStub | None, reads: Reads) -> tuple[float, float]:
    if stub is not None:
        stub.calls, stub.cpu_seconds, stub.timing = [], 0.0, True
    reads.reset()
    return time.process_time(), time.perf_counter()


def _stop(stub: DynamoStub | None, began: tuple[float, float]) -> tuple[float, float, float, list[Call]]:
    """(CPU ms less the stub's, wall ms, the stub's CPU ms, its log)."""
    wall, cpu = 1000 * (time.perf_counter() - began[1]), 1000 * (time.process_time() - began[0])
    if stub is None:
        return cpu, wall, 0.0, []
    stub.timing = False
    return cpu - 1000 * stub.cpu_seconds, wall, 1000 * stub.cpu_seconds, list(stub.calls)


def search_params(spot: Spot) -> dict[str, str]:
    """A 30 km search over the default window (now → now + 48 h), its first page."""
    return {"lat": str(spot.position.lat), "lon": str(spot.position.lon), "radius_km": str(RADIUS_KM)}


def run_search(rt: Runtime, stub: DynamoStub | None, reads: Reads, spot: Spot, now: datetime) -> Measure:
    began = _start(stub, reads)
    try:
        page = search_slots(rt, search_params(spot), now)
    finally:
        cpu, wall, stub_cpu, calls = _stop(stub, began)
    keys = [
        (found.distance_km is None, band(found.distance_km or 0.0), utc_text(found.slot.start))
        for found in page.results
    ]
    return Measure(
        dict(reads.requests),
        reads.items,
        sum(call.size for call in calls),
        cpu,
        wall,
        calls,
        sorted(keys),
        [found.slot.slot_id for found in page.results],
        stub_cpu,
    )


@dataclass(frozen=True)
class Criteria:
    """What the baseline keeps: the search's default criteria, as UTC text and a disc."""

    now: str
    start: str
    end: str
    center: Position
    radius_km: float


class Kept(NamedTuple):
    order: tuple[bool, int, str, str]  # teleconsultation only, band, start, a tie-break
    owner: str
    source: str


IN_PERSON = frozenset({ConsultationType.CABINET.value, ConsultationType.DOMICILE.value})


def _free(wire: Mapping[str, Any], criteria: Criteria) -> bool:
    """Not ended, starting in the window, not taken (a range: capacity left)."""
    start, end = wire["start"]["S"], wire["end"]["S"]
    if end <= criteria.now or not criteria.start <= start < criteria.end:
        return False
    ranged = wire.get("mode", {}).get("S") == "range"
    capacity = int(wire["capacity"]["N"]) if ranged else 1
    return capacity > int(wire.get(BOOKED, {}).get("N", "0"))


def _distance(wire: Mapping[str, Any], center: Position) -> float | None:
    position = wire.get("position", {}).get("M")
    if position is None:
        return None
    return distance_km(
        center, Position.model_construct(lat=float(position["lat"]["N"]), lon=float(position["lon"]["N"]))
    )


def kept(wire: Mapping[str, Any], criteria: Criteria) -> Kept | None:
    """The baseline's filter: the item kept as the search would find it, or None."""
    if not _free(wire, criteria):
        return None
    kinds = {value["S"] for value in wire["consultation_types"]["L"]}
    distance = _distance(wire, criteria.center) if kinds & IN_PERSON else None
    if distance is not None and distance <= criteria.radius_km:
        order = (False, band(distance))
    elif ConsultationType.TELECONSULTATION.value in kinds:
        order = (True, 0)
    else:
        return None
    tie = hashlib.sha256(f"{wire[PK]['S']}|{wire[SK]['S']}".encode()).hexdigest()
    return Kept((*order, wire["start"]["S"], tie), wire["national_id"]["S"], wire["source"]["S"])


def criteria_of(spot: Spot, now: datetime) -> Criteria:
    window = timedelta(hours=48)  # the search's default window
    return Criteria(utc_text(now), utc_text(now), utc_text(now + window), spot.position, RADIUS_KM)


def scan_items(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    """The baseline's read: every item of the slots table, 1 MB page after page."""
    request: dict[str, Any] = {"TableName": table}
    found: list[dict[str, Any]] = []
    while True:
        page = client.scan(**request)
        found += page["Items"]
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def shown_first(ordered: Sequence[Kept]) -> list[PageKey]:
    """The baseline's first page as the search would show it: without the slots of doctors whose
    declaration refuses the editor's (the territory's truth; the baseline reads no declaration)."""
    shown = []
    for found in ordered:
        owner = doctor_of(found.owner)
        if found.source != MANUAL_SOURCE and owner is not None and owner.refuses:
            continue
        shown.append(found.order[:3])
        if len(shown) == PAGE_SIZE:
            break
    return sorted(shown)


def run_scan(rt: Runtime, stub: DynamoStub | None, reads: Reads, now: datetime) -> dict[Spot, Measure]:
    """One Scan (timed), filtered and ordered for each search (each timed)."""
    began = _start(stub, reads)
    try:
        items = scan_items(rt.aws.dynamodb_client, rt.slots.table_name)
    finally:
        cpu, wall, stub_cpu, calls = _stop(stub, began)
    measures = {}
    for spot in SPOTS:
        filter_cpu, filter_wall = time.process_time(), time.perf_counter()
        criteria = criteria_of(spot, now)
        ordered = sorted(
            (found for found in (kept(item, criteria) for item in items) if found), key=lambda k: k.order
        )
        filter_cpu, filter_wall = time.process_time() - filter_cpu, time.perf_counter() - filter_wall
        measures[spot] = Measure(
            dict(reads.requests),
            reads.items,
            sum(call.size for call in calls),
            cpu + 1000 * filter_cpu,
            wall + 1000 * filter_wall,
            calls,
            shown_first(ordered),
            stub_cpu_ms=stub_cpu,
        )
    return measures


# --- the model's DynamoDB time on the critical path ------------------------------------------------------


def makespan(chains: Sequence[float], workers: int) -> float:
    """How long `chains` (a partition's pages, one after the other) take on `workers` taking them in order."""
    free = [0.0] * max(1, min(workers, len(chains)))
    for chain in chains:
        free[free.index(min(free))] += chain
    return max(free)


def query_rounds(calls: Sequence[Call]) -> list[list[Call]]:
    """The Queries grouped in rounds, in order: a search's round is the Queries of one `search_pages` call
    (sent together on the store's thread pool, the next round waiting for them all); any other Query is a
    round of its own."""
    rounds: dict[str, list[Call]] = {}
    for number, call in enumerate(call for call in calls if call.operation == "Query"):
        rounds.setdefault(f"round-{call.round}" if call.round else f"alone-{number}", []).append(call)
    return sorted(rounds.values(), key=lambda found: min(call.began for call in found))


def critical_path_ms(calls: Sequence[Call], per_unit_ms: float = PER_READ_UNIT_MS) -> float:
    """DynamoDB's time on the critical path in the model: every request one after the other, except the
    Queries of a round, side by side on the search's pool (its slowest counts), the rounds in turn."""
    total = sum(call.ms(per_unit_ms) for call in calls if call.operation != "Query")
    for found in query_rounds(calls):
        total += makespan([call.ms(per_unit_ms) for call in found], SEARCH_CONCURRENCY)
    return total


@dataclass(frozen=True)
class Rounds:
    """How a search's Queries went (from the stub's log of a measured search)."""

    partitions: int
    rounds: int  # rounds of Queries one after the other
    longest_chain: int  # Queries of one partition, one round after the other
    indexes: str = ""  # each round's indexes and Queries, in order ("by_cell_day + by_tele_day (7), then …")

    @property
    def one_round(self) -> bool:
        return self.rounds == 1 and self.longest_chain == 1 and self.partitions <= SEARCH_CONCURRENCY

    @property
    def first_round_both(self) -> bool:
        """The first round reads both indexes (or the only one the search asks)."""
        return self.indexes.split(", then ")[0].startswith("by_cell_day + by_tele_day")

    @staticmethod
    def of(calls: Sequence[Call]) -> Rounds:
        chains: dict[tuple[str | None, str | None], int] = {}
        for call in calls:
            if call.operation == "Query":
                chains[(call.index, call.partition)] = chains.get((call.index, call.partition), 0) + 1
        rounds = query_rounds(calls)
        indexes = ", then ".join(
            " + ".join(sorted({str(call.index) for call in found})) + f" ({len(found)})" for found in rounds
        )
        return Rounds(len(chains), len(rounds), max(chains.values(), default=0), indexes)


# --- moto cross-check ------------------------------------------------------------------------------------


def moto_search(slots: int, starts: Sequence[datetime], now: datetime) -> dict[Spot, Measure]:
    """The two searches on moto (the local platform's DynamoDB, in-process) over the territory of `slots`
    slots, written by the same code (the slot items with `storage.write_batches`)."""
    aws = LocalAws().start()
    try:
        rt = Runtime(Settings.from_environment())
        reads = instrument(rt, None)
        zone = rt.territory.zone
        for number in range(doctors_for(slots, len(starts))):
            seed_owner(rt, doctor(number), now)
        puts = [
            {"PutRequest": {"Item": slot_item(doctor(row.number), row.slot, starts[row.slot], zone)}}
            for row in VirtualSlots(slots, starts, zone).rows
        ]
        storage.write_batches(rt.aws.dynamodb_client, rt.slots.table_name, puts)
        rt.state.signing_key(CURSOR_KEY)  # made, as a platform's first search makes it
        return {spot: run_search(rt, None, reads, spot, now) for spot in SPOTS}
    finally:
        aws.stop()


# --- where the CPU goes ----------------------------------------------------------------------------------


class InlineExecutor:
    """A thread pool running its work in the calling thread, for the profile (cProfile follows one thread)."""

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers

    def __enter__(self) -> InlineExecutor:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def map(self, work: Callable[[Any], Any], values: Sequence[Any]) -> Iterator[Any]:
        return iter([work(value) for value in values])


@dataclass(frozen=True)
class Profile:
    total_ms: float  # the search's, the stub's own left out
    top: list[tuple[str, float, float]]  # function, own time and cumulative time, as shares of the total
    parser: float  # the share under botocore's response parser (`ResponseParser.parse`)
    shares: dict[str, float] = field(default_factory=dict)  # of a few parts (`PROFILED`), cumulative


# Parts of a search whose cumulative time the report gives: (file ending, function) → what it is.
PROFILED = {
    ("botocore/client.py", "_make_api_call"): "botocore's requests (serialising, signing, sending, parsing)",
    ("sas_common/storage.py", "_as_sent"): "decoding the answers' JSON (`storage._as_sent`)",
    ("sas_common/stores/slots.py", "indexed"): "reading the slot items (`stores.slots.indexed`)",
    ("sas_common/search/merge.py", "_add"): "candidates and their order (`search.merge.Reader._add`)",
}
STUB = ("bench/search.py", "__call__")


def _cumulative(stats: Mapping[tuple[str, int, str], tuple[Any, ...]], where: tuple[str, str]) -> float:
    found = [
        entry[3]
        for (path, _, name), entry in stats.items()
        if (path, name) == where or (path.endswith(where[0]) and name == where[1])
    ]
    return max(found, default=0.0)


def profile_search(rt: Runtime, spot: Spot, now: datetime) -> Profile:
    """cProfile over one search, its Queries run one after the other in this thread (same CPU work)."""
    profiler = cProfile.Profile()
    with mock.patch.object(rt.slots, "search_pool", InlineExecutor()):
        profiler.enable()
        search_slots(rt, search_params(spot), now)
        profiler.disable()
    stats: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    stub = _cumulative(stats, STUB)
    total = sum(entry[2] for entry in stats.values()) - stub
    mine = {where: entry for where, entry in stats.items() if "/bench/" not in where[0].replace("\\", "/")}
    own = sorted(mine.items(), key=lambda pair: pair[1][2], reverse=True)[:12]
    top = [(_label(*where), entry[2] / total, entry[3] / total) for where, entry in own]
    parser = _cumulative(stats, ("botocore/parsers.py", "parse"))
    shares = {what: _cumulative(stats, where) / total for where, what in PROFILED.items()}
    shares[PROFILED[("botocore/client.py", "_make_api_call")]] -= stub / total  # the stub answers in it
    return Profile(1000 * total, top, parser / total, shares)


def _label(path: str, line: int, name: str) -> str:
    if path == "~":
        return f"`{name}`"
    parts = path.replace("\\", "/").split("/")
    short = "/".join(parts[parts.index("site-packages") + 1 :] if "site-packages" in parts else parts[-3:])
    return f"`{short}:{line}` {name}"


# --- the runs --------------------------------------------------------------------------------------------

SEARCH = "search"
BASELINE = "Scan + filter"


def _quantile(values: Sequence[float], quantile: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]


@dataclass
class Line:
    """A row of the report: one way of answering one search on one territory.

    Its latency is the round-trip model's: each run's handler CPU plus DynamoDB's time on its critical path
    (`critical_path_ms`), CPU and waits never overlapping — exact for the Scan, whose pages are read and
    parsed one after the other, and an upper bound for the search, which parses some answers while others
    are in flight. Its wall time is the run's, the stub sleeping each request's modelled time: what this
    machine did, including the time it gave other processes."""

    size: int
    spot: Spot
    way: str
    runs: list[Measure]  # empty when modelled
    model: Measure | None = None
    model_cpu_ms: float = 0.0

    @property
    def modelled(self) -> bool:
        return not self.runs

    @property
    def sample(self) -> Measure:
        return self.runs[-1] if self.runs else cast(Measure, self.model)

    @property
    def cpu_ms(self) -> float:
        return statistics.median(run.cpu_ms for run in self.runs) if self.runs else self.model_cpu_ms

    def io_ms(self, per_unit_ms: float = PER_READ_UNIT_MS) -> float:
        return critical_path_ms(self.sample.calls, per_unit_ms)

    def latency(self, quantile: float, per_unit_ms: float = PER_READ_UNIT_MS) -> float:
        if not self.runs:
            return self.model_cpu_ms + self.io_ms(per_unit_ms)
        return _quantile(
            [run.cpu_ms + critical_path_ms(run.calls, per_unit_ms) for run in self.runs], quantile
        )

    def wall(self, quantile: float) -> float | None:
        return _quantile([run.wall_ms for run in self.runs], quantile) if self.runs else None


def measure_size(
    rt: Runtime, stub: DynamoStub, reads: Reads, slots: VirtualSlots, now: datetime, phases: Phases
) -> list[Line]:
    size = slots.slots
    for spot in SPOTS:
        run_search(rt, stub, reads, spot, now)  # warm-up, not kept: owners made, items built
    searches: dict[Spot, list[Measure]] = {spot: [] for spot in SPOTS}
    for _ in range(REPETITIONS[size]):
        for spot in SPOTS:
            searches[spot].append(run_search(rt, stub, reads, spot, now))
    scans: dict[Spot, list[Measure]] = {spot: [] for spot in SPOTS}
    if SCAN_REPETITIONS.get(size):
        with phases.phase(f"building the {_size(size)} items for the Scan"):
            slots.build_all()  # before the Scans are timed
    for _ in range(SCAN_REPETITIONS.get(size, 0)):
        for spot, measure in run_scan(rt, stub, reads, now).items():
            scans[spot].append(measure)
    return [
        Line(size, spot, way, runs[spot])
        for spot in SPOTS
        for way, runs in ((SEARCH, searches), (BASELINE, scans))
    ]


def scan_pages(slots: VirtualSlots) -> list[Call]:
    """The pages a Scan of the whole table reads (1 MB each), from the index's item sizes."""
    pages: list[Call] = []
    sizes: list[int] = []
    total = 0
    for row in slots.rows:
        if total + row.size > PAGE_BYTES:
            pages.append(_read("Scan", None, None, sizes, summed=True))
            sizes, total = [], 0
        sizes.append(row.size)
        total += row.size
    return [*pages, _read("Scan", None, None, sizes, summed=True)]


def modelled_scans(lines: list[Line], slots: VirtualSlots) -> None:
    """The Scan baseline of a territory not scanned: its pages from the index, its CPU per item read as
    measured on the largest territory scanned (the same search's filter)."""
    pages = scan_pages(slots)
    measure = Measure({"Scan": len(pages)}, slots.slots, sum(call.size for call in pages), 0.0, 0.0, pages)
    for line in lines:
        if line.size != slots.slots or line.way != BASELINE or line.runs:
            continue
        scanned = max(
            (found for found in lines if found.way == BASELINE and found.runs and found.spot is line.spot),
            key=lambda found: found.size,
        )
        line.model, line.model_cpu_ms = measure, scanned.cpu_ms / scanned.sample.items * slots.slots


@dataclass
class Results:
    now: datetime
    lines: list[Line]
    shapes: dict[int, dict[str, float]]
    moto: dict[Spot, tuple[Measure, Measure]]  # moto, the stub
    profile: Profile
    phases: dict[str, float] = field(default_factory=dict)  # seconds
    load: list[float] = field(default_factory=list)  # the machine's 1-minute load average, as the run went
    digest: str = ""  # of the code measured (`code_digest`)

    def line(self, size: int, spot: Spot, way: str) -> Line:
        return next(line for line in self.lines if (line.size, line.spot, line.way) == (size, spot, way))


def territory_shape(slots: VirtualSlots) -> dict[str, float]:
    doctors = [doctor(number) for number in range(doctors_for(slots.slots, len(slots.starts)))]
    shape: dict[str, float] = {
        "doctors": len(doctors),
        "cells": len({cell_of(doc.position) for doc in doctors}),
        "tele": sum(is_tele(row.slot) for row in slots.rows) / len(slots.rows),
        "mb": sum(row.size for row in slots.rows) / 1e6,
    }
    for spot in SPOTS:
        near = sum(distance_km(spot.position, doc.position) <= RADIUS_KM for doc in doctors)
        shape[f"near:{spot.short}"] = near / len(doctors)
    return shape


class Phases:
    """How long each part of the run took, and the machine's load as it went."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.load: list[float] = [os.getloadavg()[0]]

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        print(f"  {name}…", flush=True)
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - began
            self.load.append(os.getloadavg()[0])


def measure_sizes(rt: Runtime, stub: DynamoStub, reads: Reads, now: datetime, phases: Phases) -> Results:
    starts = slot_starts(now, rt.territory.zone)
    lines: list[Line] = []
    shapes: dict[int, dict[str, float]] = {}
    profile = None
    for size in SIZES:
        with phases.phase(f"the {_size(size)} index"):
            slots = VirtualSlots(size, starts, rt.territory.zone)
            stub.use_slots(rt.slots.table_name, slots)
            shapes[size] = territory_shape(slots)
        with phases.phase(f"searching {_size(size)}"):
            lines += measure_size(rt, stub, reads, slots, now, phases)
            modelled_scans(lines, slots)
        if size == GOAL_SIZE:
            profile = profile_search(rt, CITY, now)
        del slots
    return Results(now, lines, shapes, {}, cast(Profile, profile))


def run() -> tuple[str, dict[str, Any]]:
    began, phases, digest = time.perf_counter(), Phases(), code_digest()  # the code as imported
    with _environ():
        rt, seeding = Runtime(Settings.from_environment()), Runtime(Settings.from_environment())
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        starts = slot_starts(now, rt.territory.zone)
        stub = DynamoStub(table_defs())
        reads = instrument(rt, stub)
        instrument(seeding, stub)
        stub.owners = lambda doc: seed_owner(seeding, doc, now)
        stub.use_slots(rt.slots.table_name, VirtualSlots(MOTO_SIZE, starts, rt.territory.zone))
        search_slots(rt, search_params(CITY), now)  # the cursor's key made, as on a platform's first search
        small = {spot: run_search(rt, stub, reads, spot, now) for spot in SPOTS}
        results = measure_sizes(rt, stub, reads, now, phases)
        with phases.phase(f"{MOTO_SIZE:,} slots on moto"):
            on_moto = moto_search(MOTO_SIZE, starts, now)
    results.moto = {spot: (on_moto[spot], small[spot]) for spot in SPOTS}
    results.phases = {**phases.seconds, "total": time.perf_counter() - began}
    results.load, results.digest = phases.load, digest
    return report(results), metrics(results)


# --- the report ------------------------------------------------------------------------------------------


def _size(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def _requests(requests: Mapping[str, int]) -> str:
    return (
        f"{sum(requests.values()):,} (" + ", ".join(f"{n:,} {op}" for op, n in sorted(requests.items())) + ")"
    )


def _verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def _row(line: Line) -> str:
    sample, wall = line.sample, line.wall(0.5)
    latency = f"{line.latency(0.5):,.0f}" + ("" if line.modelled else f" / {line.latency(0.95):,.0f}")
    return (
        f"| {_size(line.size)} | {line.spot.short} | {line.way} | {_requests(sample.requests)} | "
        f"{sample.items:,} | {sample.bytes_read / 1e6:,.2f} | {line.cpu_ms:,.0f} | {line.io_ms():,.0f} | "
        f"{latency} | {'–' if wall is None else f'{wall:,.0f}'} | {len(line.runs) or 'model'} |"
    )


def _territory(results: Results) -> list[str]:
    lines = [
        "| slots | doctors | teleconsultation | doctors ≤ 30 km from the city / countryside point | "
        "h3 cells with doctors | table (MB) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size, shape in results.shapes.items():
        lines.append(
            f"| {size:,} | {shape['doctors']:,.0f} | {shape['tele']:.0%} | {shape['near:city']:.0%} / "
            f"{shape['near:countryside']:.0%} | {shape['cells']:.0f} | {shape['mb']:,.1f} |"
        )
    return lines


def _goal_requests(results: Results) -> str:
    constant, parts = True, []
    for spot in SPOTS:
        searched = [results.line(size, spot, SEARCH).sample for size in SIZES]
        counts = [sum(sample.requests.values()) for sample in searched]
        constant = constant and len(set(counts)) == 1
        parts.append(
            f"{spot.short} {' / '.join(map(str, counts))} requests, "
            f"{' / '.join(f'{sample.items:,}' for sample in searched)} items"
        )
    sizes = " / ".join(map(_size, SIZES))
    return f"- *Requests per search constant as the table grows*: {_verdict(constant)} — at {sizes}: " + (
        "; ".join(parts) + "."
    )


def _ratio(results: Results, spot: Spot, per_unit_ms: float = PER_READ_UNIT_MS) -> float:
    scan = results.line(GOAL_SIZE, spot, BASELINE).latency(0.5, per_unit_ms)
    return scan / results.line(GOAL_SIZE, spot, SEARCH).latency(0.5, per_unit_ms)


def _goal_ratio(results: Results) -> str:
    parts = []
    for spot in SPOTS:
        search, scan = (results.line(GOAL_SIZE, spot, way) for way in (SEARCH, BASELINE))
        walls = (scan.wall(0.5) or 0.0) / (search.wall(0.5) or 1.0)
        parts.append(
            f"{spot.short} {search.latency(0.5):,.0f} ms against {scan.latency(0.5):,.0f} ms: "
            f"**{_ratio(results, spot):,.1f}×** (wall clock on this machine: {walls:,.1f}×)"
        )
    met = all(_ratio(results, spot) >= GOAL_SCAN_RATIO for spot in SPOTS)
    goal = f"≥ {GOAL_SCAN_RATIO:.0f}× faster than the Scan at {_size(GOAL_SIZE)}"
    return f"- *{goal}* (p50 latencies): {_verdict(met)} — " + "; ".join(parts) + "."


def _goal_cpu(results: Results) -> str:
    searched = [results.line(GOAL_SIZE, spot, SEARCH) for spot in SPOTS]
    met = all(line.cpu_ms <= GOAL_CPU_MS for line in searched)
    parts = [
        f"{line.spot.short} {line.cpu_ms:,.0f} ms for {line.sample.items:,} items read "
        f"({1000 * line.cpu_ms / line.sample.items:,.0f} µs per item)"
        for line in searched
    ]
    goal = f"Handler CPU ≤ {GOAL_CPU_MS:.0f} ms per search at {_size(GOAL_SIZE)}"
    return f"- *{goal}* (median): {_verdict(met)} — " + "; ".join(parts) + "."


def _goal_round(results: Results) -> str:
    shapes: dict[tuple[int, int, int, str], list[str]] = {}
    met = both = True
    for line in (line for line in results.lines if line.way == SEARCH):
        rounds = Rounds.of(line.sample.calls)
        met, both = met and rounds.one_round, both and rounds.first_round_both
        key = (rounds.partitions, rounds.rounds, rounds.longest_chain, rounds.indexes)
        shapes.setdefault(key, []).append(f"{_size(line.size)} {line.spot.short}")
    parts = [
        f"{partitions} partitions read in {rounds} round(s) one after the other ({indexes} Queries), at most "
        f"{chain} Queries of one partition ({', '.join(where)})"
        for (partitions, rounds, chain, indexes), where in shapes.items()
    ]
    return (
        f"- *One parallel round of Queries on the critical path*: {_verdict(met)}; both indexes in the first "
        f"round: {_verdict(both)} — " + "; ".join(parts) + ". A round after the first is the adaptive read "
        "going on where the page still needs it (see *How a search reads* below)."
    )


def _profile(results: Results) -> list[str]:
    profile = results.profile
    lines = [
        *_wrap(
            f"One city search at {_size(GOAL_SIZE)} under cProfile ({profile.total_ms:,.0f} ms with the "
            "profiler's overhead, the stub's own time left out; the Queries run one after the other in the "
            "calling thread so that cProfile sees them), the functions with the most time of their own:"
        ),
        "| function | own time | with what it calls |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {own:.1%} | {cumulative:.1%} |" for name, own, cumulative in profile.top]
    return [*lines, "", *_wrap(_finding(results))]


def _finding(results: Results) -> str:
    searched = [results.line(GOAL_SIZE, spot, SEARCH) for spot in SPOTS]
    per_item = statistics.fmean(1000 * line.cpu_ms / line.sample.items for line in searched)
    parts = "; ".join(f"{what} {share:.0%}" for what, share in results.profile.shares.items())
    return (
        f"So at {_size(GOAL_SIZE)} a search costs ≈ {per_item:,.0f} µs of handler CPU per item it reads (its "
        f"requests included). Under the profiler: {parts} (parts overlap: the JSON is decoded within "
        f"botocore's requests); botocore's response parser itself {results.profile.parser:.0%}. "
        + _limits(searched)
    )


def _limits(searched: Sequence[Line]) -> str:
    limits = sorted({call.limit for line in searched for call in line.sample.calls if call.limit is not None})
    if not limits:
        return ""
    return (
        f"The Queries' `Limit`s were {', '.join(map(str, limits))}: a first read of each partition a little "
        "beyond the page, then only the partitions that could still reach it, further each time, never "
        "beyond its earliest 300 slots — the items read, and with them the CPU, are bounded by what the page "
        "needs rather than by the table."
    )


def _moto(results: Results) -> list[str]:
    lines = []
    for spot, (moto, stub) in results.moto.items():
        same = (moto.requests, moto.items, moto.page_ids) == (stub.requests, stub.items, stub.page_ids)
        lines += _bullet(
            f"- {spot.short}: moto {_requests(moto.requests)}, {moto.items:,} items read; the stub "
            f"{_requests(stub.requests)}, {stub.items:,} items: {'the same' if same else '**not the same**'} "
            f"requests, items and page ({len(moto.page_ids)} results, ids in order)."
        )
    return lines


def _page_check(results: Results) -> str:
    checks = [
        results.line(size, spot, SEARCH).sample.page == results.line(size, spot, BASELINE).sample.page
        for size in SIZES
        for spot in SPOTS
        if results.line(size, spot, BASELINE).runs
    ]
    if all(checks):
        return (
            "at each size scanned, the search's first page is the baseline's first page (the same results "
            "by group, distance band and start; ties aside), the refusing doctors' slots taken out of the "
            "baseline"
        )
    return f"the search's first page is not the baseline's in {checks.count(False)} of {len(checks)} cases"


def _sensitivity(results: Results) -> str:
    parts = []
    for per_unit in SENSITIVITY_PER_UNIT_MS:
        ratios = " / ".join(f"{_ratio(results, spot, per_unit):,.1f}×" for spot in SPOTS)
        parts.append(f"{per_unit:g} ms per read unit: {ratios}")
    return "; ".join(parts)


MEASURED_CODE = (
    "search/query.py",
    "search/ranking.py",
    "search/merge.py",
    "search/service.py",
    "stores/slots.py",
    "stores/effecteurs.py",
    "stores/participations.py",
    "storage.py",
    "slots/model.py",
    "geo.py",
)


def code_digest() -> str:
    """A digest of the layer's files the search runs (others may be changing them): the code measured."""
    root = Path(storage.__file__).parent
    digest = hashlib.sha256()
    for name in MEASURED_CODE:
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:12]


def _phases(results: Results) -> str:
    phases = results.phases
    parts = ", ".join(f"{name} {seconds:,.0f} s" for name, seconds in phases.items() if name != "total")
    load = f"{min(results.load):.1f} to {max(results.load):.1f}"
    return (
        f"Measured code: `sas_common/{{{','.join(MEASURED_CODE)}}}` at digest `{results.digest}` (sha256 of "
        f"the files, in this order). The search section took {phases['total']:,.0f} s on {os.cpu_count()} "
        f"cores ({parts}); the "
        f"machine's load average went from {load} over the run (other work shares it: wall times are "
        "inflated by it, CPU times less so)."
    )


def _wrap(text: str) -> list[str]:
    """A paragraph of the report, wrapped as the other sections are (110 columns)."""
    return [*textwrap.wrap(text, width=110, break_on_hyphens=False), ""]


def _bullet(text: str) -> list[str]:
    return textwrap.wrap(text, width=110, break_on_hyphens=False, subsequent_indent="  ")


def _intro() -> list[str]:
    return [
        "## Search",
        "",
        *_wrap(
            "The regulator's search — `sas_common.search.service.search_slots` with a `Runtime`, as the "
            f"search function calls it — for {RADIUS_KM} km around a point over the default window (now → "
            f"now + 48 h), its first page ({PAGE_SIZE}), near Toulouse (*city*: the Capitole) and in the "
            "Comminges (*countryside*: L'Isle-en-Dodon), beside a *Scan + filter* baseline written for the "
            "benchmark: a Scan of the whole slots table (1 MB pages, one after the other) filtered in Python "
            "to the same criteria and ordered the same way; it reads no owner, as the search's BatchGetItems "
            "do, which favours it. DynamoDB is an in-memory stub behind botocore's `before-send` hook with "
            "DynamoDB's semantics (partition key equality, sort key conditions, `Limit`, 1 MB pages as "
            "DynamoDB sizes items, 100-key BatchGetItem), sleeping each request's time in the round-trip "
            "model below; the client side is real and in this process (botocore serialising requests and "
            "parsing answers, the stores, the search). Slot items are the production layout (`new_item`); "
            "profiles, places and declarations are written by the production stores. Details in "
            "`bench/search.py`."
        ),
        *_wrap(
            "The territory is Haute-Garonne as the gazetteer places its communes: most doctors in "
            "Toulouse and its suburbs, some in the towns (Muret, Saint-Gaudens, Villefranche-de-Lauragais, "
            "Revel…), the rest one by one in the other communes; each doctor has a slot every quarter hour "
            "from 08:00 to 20:00 over the 48 h, one in four teleconsultation only, one in 50 held; 60 % of "
            "the doctors "
            "publish through the editor (3 % of those refuse editor slots), the others keep a manual agenda."
        ),
    ]


def _method(results: Results) -> list[str]:
    searched = [run for line in results.lines if line.way == SEARCH for run in line.runs]
    stub_cpu = f"{statistics.fmean(run.stub_cpu_ms for run in searched):,.0f} ms a search on average"
    repetitions = ", ".join(f"{REPETITIONS[size]} at {_size(size)}" for size in SIZES)
    scans = ", ".join(f"{SCAN_REPETITIONS[size]} at {_size(size)}" for size in SCAN_REPETITIONS)
    return _wrap(
        f"Runs of each search: {repetitions}; of the Scan: {scans}. The Scan at 1M is not run (minutes of "
        "botocore parsing): its pages come from the index and its CPU from the per-item cost of the Scan at "
        f"{_size(GOAL_SIZE)} (*model* rows). *Handler CPU*: the process time of the call (all its threads) "
        f"less the stub's own ({stub_cpu}), median of the runs. *DynamoDB on the critical path*: the model's "
        "time of the "
        "requests one after the other, the Queries of one round (one thread pool) side by side (its slowest "
        "partition counts). *Latency* (p50 / p95, nearest rank over the runs): each run's CPU plus its "
        "DynamoDB critical path, never overlapping — exact for the Scan (pages read and parsed in turn), an "
        "upper bound for the search. *Wall*: the run's wall time with the stub sleeping the modelled times, "
        "as this shared machine ran it."
    )


def _reading() -> list[str]:
    return [
        "### How a search reads",
        "",
        *_wrap(
            "A search takes the earliest 300 slots of each index partition (`by_cell_day`: a cell's day; "
            "`by_tele_day`: the territory's teleconsultations of a day), and reads them only as far as its "
            "page needs (`sas_common.search.merge`). The order's key — group, distance band, start, tie-break"
            " — has a lower bound in each partition: its cell's nearest band (from the cell's hexagon), and "
            "the start it has reached (a partition gives its slots by start); a teleconsultation partition "
            "also stands for the in-person slots a cell's day left beyond its 300. Candidates below every "
            "open partition's bound are in their final place. The first round reads, both indexes at once, "
            "the partitions of the days opening within 6 h, `Limit` = page + 10 (the 25 candidates of a chunk"
            " + 10); each next round only the partitions whose bound does not exceed the page's last "
            "candidate found so far, as many again as they read — all they have left when what they gave is "
            "one instant's candidates (a city cell's first quarter hour) — and at most 4 Queries a partition."
            " The results are the same as when every partition's 300 were read at once (checked by "
            "tests/unit/test_search_rules.py page after page). The answers are decoded from DynamoDB's JSON "
            "(`storage.query_wire_page`, `storage.batch_get_plain`), not by botocore's parser."
        ),
    ]


def _model() -> list[str]:
    full_page = BASE_MS + PER_READ_UNIT_MS * PAGE_BYTES / READ_UNIT
    return [
        "### The round-trip model",
        "",
        *_wrap(
            f"Each DynamoDB request costs {BASE_MS:g} ms — a round trip in-region on a kept-alive connection "
            "with the service's fixed work (AWS documents single-digit-millisecond average latencies for "
            "GetItem and PutItem; small Queries are alike) — plus "
            f"{PER_READ_UNIT_MS:g} ms per 4 KB read unit it reads (an assumption: a full 1 MB page takes "
            f"{full_page:g} ms, DynamoDB reading and sending ≈ 40 MB/s to one request). A Query or Scan "
            "reads the sum of its items rounded up to 4 KB, GetItem and BatchGetItem each item rounded up; "
            "items are sized as DynamoDB documents it (names and values). The Queries one thread pool sends "
            f"overlap (the search's pool runs up to {SEARCH_CONCURRENCY} at a time); every other request "
            "waits for the one before it, as the code sends them: each round of Queries, the two "
            "BatchGetItems (the cursor key's GetItem comes before them once in 5 minutes: the runs below are "
            "warm and have none)."
        ),
        *_wrap(
            "What it leaves out: network jitter and DynamoDB's tail latency (a round of 20 Queries waits for "
            "the slowest of 20, so a request's p99 matters more than its median), throttling and retries, "
            "TLS handshakes (connections are warm), cold starts (*Cold start* above), the Lambda's CPU "
            "(arm64, a share of a core set by its memory size) against this machine's, API Gateway and the "
            "JSON answer "
            "around the handler."
        ),
    ]


def report(results: Results) -> str:
    lines = [
        *_intro(),
        *_territory(results),
        "",
        *_method(results),
        "| slots | search | way | DynamoDB requests | items read | MB read | handler CPU ms | "
        "DynamoDB on the critical path ms | latency ms p50 / p95 | wall ms p50 | runs |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *[_row(line) for line in results.lines],
        "",
        *_wrap(f"Check: {_page_check(results)}."),
        "### Goals",
        "",
        *_bullet(_goal_requests(results)),
        *_bullet(_goal_ratio(results)),
        *_bullet(_goal_cpu(results)),
        *_bullet(_goal_round(results)),
        "",
        *_reading(),
        "### Where the handler's CPU goes",
        "",
        *_profile(results),
        *_model(),
        *_wrap(
            f"With other costs per read unit, the {_size(GOAL_SIZE)} ratios (city / countryside) would be: "
            f"{_sensitivity(results)}."
        ),
        f"### Cross-check on moto ({MOTO_SIZE:,} slots)",
        "",
        *_wrap(
            "The same two searches on moto (the local platform's DynamoDB, in-process) over the same "
            "territory, written by the same code, against the stub:"
        ),
        *_moto(results),
        "",
        *_wrap(_phases(results)),
    ]
    return "\n".join(lines)


def metrics(results: Results) -> dict[str, Any]:
    return {
        "seconds": results.phases.get("total", 0.0),
        "cpu_ms": {spot.short: results.line(GOAL_SIZE, spot, SEARCH).cpu_ms for spot in SPOTS},
        "scan_ratio": {spot.short: _ratio(results, spot) for spot in SPOTS},
        "requests": {
            f"{_size(size)} {spot.short}": sum(results.line(size, spot, SEARCH).sample.requests.values())
            for size in SIZES
            for spot in SPOTS
        },
    }


REPORT = Path(__file__).resolve().parent / "results" / "REPORT.md"


def write_section(section: str, path: Path = REPORT) -> None:
    """Put the section in the report in place of its previous version (or at its end), the other sections
    as they were."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark report\n"
    head, found, rest = text.partition("\n## Search\n")
    tail = rest[rest.index("\n## ") :] if found and "\n## " in rest else ""
    path.write_text(head.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n" + tail, encoding="utf-8")


def main() -> int:
    """`python -m bench.search`: this section alone, written into the report."""
    section, _ = run()
    write_section(section)
    print(section)
    print(f"wrote the Search section of {REPORT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
