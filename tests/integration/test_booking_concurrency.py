"""No double booking, under real concurrency: `python -m sas_local` (what `make run` starts: moto as a server,
each function in worker processes of its own) driven over HTTP by many regulators at the same instant.

- one slot, 50 regulators at once, 20 rounds (a fresh slot each round): exactly one booking each round, the
  49 others `409 slot_taken`;
- one range of capacity 3, 20 regulators at once: exactly 3 bookings.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from local_process import local_platform

MARTIN = "810000000001"  # the demo seed's doctor with a manual agenda (local/sas_local/seed.py)
THREADS = 50
ROUNDS = 20
RANGE_THREADS = 20
RANGE_CAPACITY = 3


@dataclass
class Platform:
    base: str
    regulator: dict[str, str]
    output: list[str]  # what the platform printed (its functions' logs), for a failure's message

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=60)


@pytest.fixture(scope="module")
def platform() -> Iterator[Platform]:
    env = {"SAS_LAMBDA_CONCURRENCY": "8", "SAS_LOG_LEVEL": "ERROR"}
    with local_platform(env, drain=True) as (_process, base, lines), httpx.Client(base_url=base) as http:
        token = http.post("/_local/token", json={"role": "regulator", "sub": "reg-race"}).json()[
            "access_token"
        ]
        yield Platform(base, {"authorization": f"Bearer {token}"}, lines)


def _slots(platform: Platform, body: dict[str, Any]) -> list[str]:
    """Martin's new availability tomorrow: the ids of its slots, by start (read back through search)."""
    day = datetime.now(UTC).date() + timedelta(days=1)
    with platform.client() as http:
        mine = http.post("/_local/token", json={"role": "effecteur", "sub": MARTIN}).json()["access_token"]
        created = http.post(
            f"/effecteurs/{MARTIN}/availabilities",
            json={"place_id": "p1", "date": day.isoformat(), "consultation_types": ["cabinet"], **body},
            headers={"authorization": f"Bearer {mine}"},
        )
        assert created.status_code == 201, created.text
        found = http.get(
            "/search/slots",
            params={
                "lat": "43.6045",
                "lon": "1.444",
                "radius_km": "5",
                "from": f"{day.isoformat()}T00:00:00+00:00",
                "to": f"{(day + timedelta(days=1)).isoformat()}T00:00:00+00:00",
                "page_size": "100",
            },
            headers=platform.regulator,
        )
        assert found.status_code == 200, found.text
    starts = {f"{day.isoformat()}T{body['start']}", f"{day.isoformat()}T{body['end']}"}
    return [
        result["slot_id"]
        for result in found.json()["results"]
        if result["effecteur"]["national_id"] == MARTIN
        and result["source"] == "manual"
        and _local(result["start"]) >= min(starts)
        and _local(result["end"]) <= max(starts)
    ]


def _local(instant: str) -> str:
    """An instant's local wall clock, as `YYYY-MM-DDTHH:MM` (the territory is Europe/Paris)."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(instant).astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


def _race(platform: Platform, slot: str, regulators: int) -> Counter[tuple[int, str | None]]:
    """`regulators` bookings of one slot released at the same instant: (status, rule) counted."""
    barrier = threading.Barrier(regulators)
    answers: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def one() -> None:
        with platform.client() as http:
            barrier.wait()
            answer = http.post("/bookings", json={"slot_id": slot}, headers=platform.regulator)
        rule = answer.json().get("rule") if answer.status_code != 201 else None
        if answer.status_code >= 500:
            rule = answer.text[:300]
        with lock:
            answers.append((answer.status_code, rule))

    threads = [threading.Thread(target=one) for _ in range(regulators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(answers)


def test_fifty_regulators_at_once_book_a_slot_once(platform: Platform) -> None:
    slots = _slots(platform, {"start": "13:00", "end": "20:00", "mode": "slots", "slot_minutes": 20})
    assert len(slots) >= ROUNDS

    outcomes = [_race(platform, slot, THREADS) for slot in slots[:ROUNDS]]

    for round_, counted in enumerate(outcomes):
        assert counted == Counter({(201, None): 1, (409, "slot_taken"): THREADS - 1}), (
            round_,
            counted,
            "".join(platform.output[-40:]),
        )


def test_a_range_of_capacity_three_takes_three(platform: Platform) -> None:
    [slot] = _slots(platform, {"start": "21:00", "end": "22:00", "mode": "range", "capacity": RANGE_CAPACITY})

    counted = _race(platform, slot, RANGE_THREADS)

    assert counted == Counter(
        {(201, None): RANGE_CAPACITY, (409, "slot_taken"): RANGE_THREADS - RANGE_CAPACITY}
    )
