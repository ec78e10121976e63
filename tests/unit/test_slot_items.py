"""The item a slot is stored as, pinned attribute by attribute (the write path builds it with caches and
sends it in DynamoDB's wire format through the low-level client: it must store exactly what the resource
layer stored), and how replacements send their writes 25 to a request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from sas_common import storage
from sas_common.effecteurs.model import Position
from sas_common.slots.model import BOOKED, Slot, content_item, new_item, search_keys
from sas_common.tables import PK, SK

PARIS = ZoneInfo("Europe/Paris")
TOULOUSE = Position(lat=43.6045, lon=1.444)
DOCTOR = "810000000001"
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))

CASES = [
    pytest.param(
        {
            "source": "demo-editor",
            "national_id": DOCTOR,
            "slot_key": "s-1",
            "start": START,
            "end": START + timedelta(minutes=15),
            "consultation_types": ("cabinet",),
            "visibility": ("SNP", "PRO"),
            "place_id": "ed-1",
            "position": TOULOUSE,
            "specialty_code": "SM54",
            "booking_url": "https://editor.example/book/s-1",
            "editor_id": "demo-editor",
            "editor_level": 2,
        },
        {
            "pk": "SRC#demo-editor#810000000001",
            "sk": "2026-03-10T09:00:00Z#s-1",
            "source": "demo-editor",
            "national_id": "810000000001",
            "slot_key": "s-1",
            "consultation_types": ["cabinet"],
            "visibility": ["SNP", "PRO"],
            "mode": "slots",
            "walk_in": False,
            "place_id": "ed-1",
            "specialty_code": "SM54",
            "booking_url": "https://editor.example/book/s-1",
            "editor_id": "demo-editor",
            "editor_level": 2,
            "position": {"lat": Decimal("43.6045"), "lon": Decimal("1.444")},
            "start": "2026-03-10T09:00:00Z",
            "end": "2026-03-10T09:15:00Z",
            "start_sk": "2026-03-10T09:00:00Z#810000000001#demo-editor#s-1",
            "cell": "8439601ffffffff",
            "cell_day": "8439601ffffffff#2026-03-10",
            "expiry_bucket": "EXP#2026-03-10T09",
            "end_sk": "2026-03-10T09:15:00Z",
            "ttl": 1773155700,
        },
        id="editor slot at a place",
    ),
    pytest.param(
        {
            "source": "manual",
            "national_id": DOCTOR,
            "slot_key": "a1",
            "start": START,
            "end": START + timedelta(hours=2),
            "consultation_types": ("cabinet",),
            "mode": "range",
            "capacity": 6,
            "walk_in": True,
            "place_id": "p1",
            "position": Position(lat=48.856613, lon=2.352222),
            "specialty_code": "SM54",
            "availability_id": "a1",
        },
        {
            "pk": "SRC#manual#810000000001",
            "sk": "2026-03-10T09:00:00Z#a1",
            "source": "manual",
            "national_id": "810000000001",
            "slot_key": "a1",
            "consultation_types": ["cabinet"],
            "visibility": ["SNP"],
            "mode": "range",
            "capacity": 6,
            "walk_in": True,
            "place_id": "p1",
            "specialty_code": "SM54",
            "availability_id": "a1",
            "position": {"lat": Decimal("48.856613"), "lon": Decimal("2.352222")},
            "start": "2026-03-10T09:00:00Z",
            "end": "2026-03-10T11:00:00Z",
            "start_sk": "2026-03-10T09:00:00Z#810000000001#manual#a1",
            "cell": "841fb47ffffffff",
            "cell_day": "841fb47ffffffff#2026-03-10",
            "expiry_bucket": "EXP#2026-03-10T11",
            "end_sk": "2026-03-10T11:00:00Z",
            "ttl": 1773162000,
            "booked": 0,
        },
        id="range: a new item has booked 0",
    ),
    pytest.param(
        {
            "source": "manual",
            "national_id": "0123456789",
            "slot_key": "a2",
            "start": START,
            "end": START + timedelta(minutes=30),
            "consultation_types": ("cabinet", "domicile"),
            "place_id": "p2",
            "availability_id": "a2",
        },
        {
            "pk": "SRC#manual#0123456789",
            "sk": "2026-03-10T09:00:00Z#a2",
            "source": "manual",
            "national_id": "0123456789",
            "slot_key": "a2",
            "consultation_types": ["cabinet", "domicile"],
            "visibility": ["SNP"],
            "mode": "slots",
            "walk_in": False,
            "place_id": "p2",
            "availability_id": "a2",
            "start": "2026-03-10T09:00:00Z",
            "end": "2026-03-10T09:30:00Z",
            "start_sk": "2026-03-10T09:00:00Z#0123456789#manual#a2",
            "expiry_bucket": "EXP#2026-03-10T09",
            "end_sk": "2026-03-10T09:30:00Z",
            "ttl": 1773156600,
        },
        id="no position: no cell",
    ),
    pytest.param(
        {
            "source": "demo-editor",
            "national_id": DOCTOR,
            "slot_key": "t-1",
            "start": START,
            "end": START + timedelta(minutes=20),
            "consultation_types": ("teleconsultation",),
            "visibility": ("PUBLIC",),
            "position": TOULOUSE,
        },
        {
            "pk": "SRC#demo-editor#810000000001",
            "sk": "2026-03-10T09:00:00Z#t-1",
            "source": "demo-editor",
            "national_id": "810000000001",
            "slot_key": "t-1",
            "consultation_types": ["teleconsultation"],
            "visibility": ["PUBLIC"],
            "mode": "slots",
            "walk_in": False,
            "position": {"lat": Decimal("43.6045"), "lon": Decimal("1.444")},
            "start": "2026-03-10T09:00:00Z",
            "end": "2026-03-10T09:20:00Z",
            "start_sk": "2026-03-10T09:00:00Z#810000000001#demo-editor#t-1",
            "tele_day": "TELE#2026-03-10",
            "expiry_bucket": "EXP#2026-03-10T09",
            "end_sk": "2026-03-10T09:20:00Z",
            "ttl": 1773156000,
        },
        id="teleconsultation only: territory day, no cell",
    ),
    pytest.param(
        {
            "source": "demo-editor",
            "national_id": DOCTOR,
            "slot_key": "t-2",
            "start": datetime(2026, 3, 10, 23, 30, tzinfo=UTC),
            "end": datetime(2026, 3, 11, 0, 0, 30, tzinfo=UTC),
            "consultation_types": ("cabinet", "teleconsultation"),
            "position": TOULOUSE,
        },
        {
            "pk": "SRC#demo-editor#810000000001",
            "sk": "2026-03-10T23:30:00Z#t-2",
            "source": "demo-editor",
            "national_id": "810000000001",
            "slot_key": "t-2",
            "consultation_types": ["cabinet", "teleconsultation"],
            "visibility": ["SNP"],
            "mode": "slots",
            "walk_in": False,
            "position": {"lat": Decimal("43.6045"), "lon": Decimal("1.444")},
            "start": "2026-03-10T23:30:00Z",
            "end": "2026-03-11T00:00:30Z",
            "start_sk": "2026-03-10T23:30:00Z#810000000001#demo-editor#t-2",
            "cell": "8439601ffffffff",
            "cell_day": "8439601ffffffff#2026-03-11",  # 00:30 in Paris
            "tele_day": "TELE#2026-03-11",
            "expiry_bucket": "EXP#2026-03-11T00",
            "end_sk": "2026-03-11T00:00:30Z",
            "ttl": 1773208830,
        },
        id="cabinet and teleconsultation, local day after UTC midnight",
    ),
    pytest.param(
        {
            "source": "demo-editor",
            "national_id": DOCTOR,
            "slot_key": "o-1",
            "start": datetime(2026, 7, 1, 8, 0, 0, 750_000, tzinfo=PLUS_TWO),
            "end": datetime(2026, 7, 1, 8, 45, 59, 999_999, tzinfo=PLUS_TWO),
            "consultation_types": ("domicile",),
            "position": Position(lat=-21.1151, lon=55.5364),
        },
        {
            "pk": "SRC#demo-editor#810000000001",
            "sk": "2026-07-01T06:00:00Z#o-1",
            "source": "demo-editor",
            "national_id": "810000000001",
            "slot_key": "o-1",
            "consultation_types": ["domicile"],
            "visibility": ["SNP"],
            "mode": "slots",
            "walk_in": False,
            "position": {"lat": Decimal("-21.1151"), "lon": Decimal("55.5364")},
            "start": "2026-07-01T06:00:00Z",
            "end": "2026-07-01T06:45:59Z",
            "start_sk": "2026-07-01T06:00:00Z#810000000001#demo-editor#o-1",
            "cell": "84a2509ffffffff",
            "cell_day": "84a2509ffffffff#2026-07-01",
            "expiry_bucket": "EXP#2026-07-01T06",
            "end_sk": "2026-07-01T06:45:59Z",
            "ttl": 1782909959,
        },
        id="offset instants and fractions of a second: UTC text to the second",
    ),
    pytest.param(
        {
            "source": "demo-editor",
            "national_id": DOCTOR,
            "slot_key": "r-1",
            "start": START,
            "end": START + timedelta(minutes=15),
            "consultation_types": ("cabinet",),
            "specialty_text": "Médecine générale",
            "reasons": ("Renouvellement", "Suivi"),
            "position": TOULOUSE,
        },
        {
            "pk": "SRC#demo-editor#810000000001",
            "sk": "2026-03-10T09:00:00Z#r-1",
            "source": "demo-editor",
            "national_id": "810000000001",
            "slot_key": "r-1",
            "consultation_types": ["cabinet"],
            "visibility": ["SNP"],
            "mode": "slots",
            "walk_in": False,
            "specialty_text": "Médecine générale",
            "reasons": ["Renouvellement", "Suivi"],
            "position": {"lat": Decimal("43.6045"), "lon": Decimal("1.444")},
            "start": "2026-03-10T09:00:00Z",
            "end": "2026-03-10T09:15:00Z",
            "start_sk": "2026-03-10T09:00:00Z#810000000001#demo-editor#r-1",
            "cell": "8439601ffffffff",
            "cell_day": "8439601ffffffff#2026-03-10",
            "expiry_bucket": "EXP#2026-03-10T09",
            "end_sk": "2026-03-10T09:15:00Z",
            "ttl": 1773155700,
        },
        id="free text of an editor",
    ),
]


@pytest.mark.parametrize(("fields", "expected"), CASES)
def test_the_item_of_a_slot(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    slot = Slot(**fields)
    for _ in range(2):  # computed, then from the caches
        item = new_item(slot, PARIS)
        assert item == expected
        assert list(item) == list(expected)  # same attributes in the same order: the same request body
        assert {name: type(value) for name, value in item.items()} == {
            name: type(value) for name, value in expected.items()
        }
    content = {name: value for name, value in expected.items() if name != BOOKED}
    assert content_item(slot, PARIS) == content
    assert {PK: item[PK], SK: item[SK]} == slot.key
    indexed = {"start_sk", "cell", "cell_day", "tele_day"}
    assert search_keys(slot, PARIS) == {name: value for name, value in expected.items() if name in indexed}


@pytest.mark.parametrize(("fields", "expected"), CASES)
def test_the_wire_format_is_boto3s(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    wire = storage.wire_item(new_item(Slot(**fields), PARIS))
    serializer, deserializer = TypeSerializer(), TypeDeserializer()
    assert wire == {name: serializer.serialize(value) for name, value in expected.items()}
    read = storage.python_item(wire)
    assert read == {name: deserializer.deserialize(cast(Any, value)) for name, value in wire.items()}
    assert read == expected


def test_zero_and_negative_zero_keep_their_text() -> None:
    """Equal floats share cached numbers, except 0.0 and -0.0 whose texts differ."""
    for lon, text in ((0.0, "0.0"), (-0.0, "-0.0"), (0.0, "0.0")):
        slot = Slot(
            source="manual",
            national_id=DOCTOR,
            slot_key="g",
            start=START,
            end=START + timedelta(minutes=15),
            consultation_types=("cabinet",),
            position=Position(lat=51.4779, lon=lon),
        )
        item = new_item(slot, PARIS)
        assert str(item["position"]["lon"]) == text
        assert item["cell"] == "84194adffffffff"


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(10**37),
        Decimal("1E-5"),
        Decimal("-0.0"),
        "",
        "é",
        ["a", 1, [True]],
        ("a", 1),
        {"m": {"n": Decimal("2.50")}},
        {"a", "b"},
        {Decimal(1), 2},
        b"\x00",
    ],
)
def test_wire_values_are_typeserializers(value: Any) -> None:
    expected = TypeSerializer().serialize(value)
    assert storage.wire_value(value) == expected
    assert storage.python_value(expected) == TypeDeserializer().deserialize(expected)


@pytest.mark.parametrize("value", [1.5, Decimal("NaN"), Decimal("Infinity"), object()])
def test_wire_values_refuse_what_typeserializer_refuses(value: Any) -> None:
    with pytest.raises(TypeError):
        TypeSerializer().serialize(value)
    with pytest.raises(TypeError):
        storage.wire_value(value)


class FakeClient:
    """Answers BatchWriteItem with scripted unprocessed items, recording what was sent."""

    def __init__(self, unprocessed: list[int]) -> None:
        self.unprocessed = unprocessed  # per request: how many of the writes sent to leave unprocessed
        self.sent: list[list[dict[str, Any]]] = []

    def batch_write_item(self, RequestItems: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:  # noqa: N803
        (writes,) = RequestItems.values()
        self.sent.append(writes)
        left = self.unprocessed.pop(0) if self.unprocessed else 0
        return {"UnprocessedItems": {"slots": writes[-left:]} if left else {}}


def _writes(count: int) -> list[dict[str, Any]]:
    return [{"PutRequest": {"Item": {PK: {"S": "p"}, SK: {"S": f"{n:03d}"}}}} for n in range(count)]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("sas_common.storage.time.sleep", slept.append)
    return slept


def test_writes_go_25_to_a_request_in_order(sleeps: list[float]) -> None:
    client, writes = FakeClient([]), _writes(60)
    assert storage.write_batches(client, "slots", writes) == 3  # type: ignore[arg-type]
    assert [len(sent) for sent in client.sent] == [25, 25, 10]
    assert [write for sent in client.sent for write in sent] == writes
    assert sleeps == []


def test_unprocessed_writes_are_sent_again_after_a_backoff(sleeps: list[float]) -> None:
    client, writes = FakeClient([5, 2, 0]), _writes(30)
    assert storage.write_batches(client, "slots", writes) == 4  # type: ignore[arg-type]
    assert client.sent == [writes[:25], writes[20:25], writes[23:25], writes[25:]]
    assert len(sleeps) == 2
    assert all(0 <= pause <= storage.BACKOFF_CAP_SECONDS for pause in sleeps)


def test_writes_left_unprocessed_attempt_after_attempt_fail_the_replacement(sleeps: list[float]) -> None:
    client = FakeClient([1] * storage.MAX_BATCH_ATTEMPTS)
    with pytest.raises(storage.UnprocessedWrites):
        storage.write_batches(client, "slots", _writes(3))  # type: ignore[arg-type]
    assert len(client.sent) == storage.MAX_BATCH_ATTEMPTS
    assert len(sleeps) == storage.MAX_BATCH_ATTEMPTS - 1
