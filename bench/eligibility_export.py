"""The quarterly eligibility export of a territory: wall time, DynamoDB requests, peak memory.

A synthetic territory: N effecteurs with a current declaration (80 % manual agenda, 20 % interfaced; one in
ten on a second version, so its history is read), each with the frozen weeks of the ISO year through the
quarter (visible minutes, or editor evidence), and 4 × N orientations in the quarter (60 % INT_R03 records of
every status, 40 % bookings of every outcome, a tenth of the records linked to a booking). The quarter's
export then runs as the scheduled job runs it (`service.export_quarter`: pages of the territory's
declarations, each page's effecteurs read `EXPORT_CONCURRENCY` at a time, the CSV streamed to the
territory's bucket), once per N, each in a fresh interpreter.

DynamoDB is `DynamoStub`: every request the export sends (boto3 and our code for real, through both of
the runtime's clients) is answered from the seeded items held in memory — key conditions, index, paging,
projection, as DynamoDB answers them — after `ROUND_TRIP_MS`, the way the editor-ingest benchmark models
DynamoDB. (moto answers a Query by sorting and filtering every item of its table, and serialises its answers
slowly: 15,000 Queries over 100,000 items take it hours, and its own per-item work would hide the export's.)
S3 is the local platform's moto.

- *Requests*: every DynamoDB call, by operation (botocore's `before-call` event): the goal is requests
  linear in N and no Scan.
- *Memory*: the Python heap the export allocates at its peak (`tracemalloc`, started just before it; the
  stub's items are allocated before). The goal is memory flat in N: one page of declarations and its rows,
  and the CSV not yet sent (under one 8 MiB S3 part).
- *Time*: wall and CPU time of the export with DynamoDB answering in `ROUND_TRIP_MS` (a first run, without
  tracemalloc, which slows every allocation; the heap is measured on a second run).
"""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from botocore.awsrequest import AWSResponse, HTTPHeaders

from sas_common import storage
from sas_common.eligibility import service
from sas_common.eligibility.rules import Quarter, week_label, year_weeks
from sas_common.runtime import Runtime
from sas_common.slots.keys import utc_text
from sas_common.stores.participations import BY_TERRITORY, TERRITORY_KEY
from sas_common.tables import EFFECTEURS, ORIENTATIONS, PARTICIPATIONS, TABLES, TableDef, effecteur_pk

SIZES = (1_000, 2_500, 5_000)
ORIENTATIONS_PER_EFFECTEUR = 4  # 20,000 for 5,000 effecteurs
ROUND_TRIP_MS = 4.0
GOAL_EFFECTEURS = 5_000
MANUAL = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": False,
    "honour_two_hours": True,
}
SYNCED = {"participates": True, "modality": "individual", "uses_interfaced_software": True, "editors": ["ed"]}
RECORD_STATUSES = ("booked", "booked", "booked", "fulfilled", "cancelled", "noshow", "pending")
OUTCOMES = ("confirmed", "confirmed", "confirmed", "pending", "cancelled", "expired", "failed")


def national_id(number: int) -> str:
    return f"89{number:010d}"


def _declaration(owner: str, version: int, content: dict[str, Any], saved_at: str) -> list[dict[str, Any]]:
    record = {"version": version, "content": content, "saved_at": saved_at, "saved_by": "bench"}
    items = [{"pk": owner, "sk": f"DECL#V#{n:06d}", **record, "version": n} for n in range(1, version + 1)]
    current = {"pk": owner, "sk": "DECL#CURRENT", **record}
    current.update({BY_TERRITORY.partition_key: TERRITORY_KEY, BY_TERRITORY.sort_key: owner})
    return [*items, current]


def participation_items(count: int, quarter: Quarter, rng: random.Random) -> Iterator[dict[str, Any]]:
    declared = utc_text(datetime(quarter.year - 1, 12, 1, 12, tzinfo=UTC))
    mondays = year_weeks(quarter.year, quarter.last_day, quarter.closing_day)
    for number in range(count):
        owner = effecteur_pk(national_id(number))
        synced = rng.random() < 0.2
        yield from _declaration(owner, 2 if rng.random() < 0.1 else 1, SYNCED if synced else MANUAL, declared)
        for monday in mondays:
            week = week_label(monday)
            if synced:
                yield {
                    "pk": owner,
                    "sk": f"WEEK#{week}#EDITOR#ed",
                    "week": week,
                    "editor_id": "ed",
                    "slots": 9,
                }
            else:
                minutes = rng.choice((0, 90, 120, 180, 240, 240, 300))
                yield {"pk": owner, "sk": f"WEEK#{week}", "week": week, "visible_minutes": minutes}


def profile_items(count: int) -> Iterator[dict[str, Any]]:
    for number in range(count):
        identifier = national_id(number)
        yield {
            "pk": effecteur_pk(identifier),
            "sk": "PROFILE",
            "national_id": identifier,
            "last_name": f"NOM{number}",
            "first_name": "Prénom",
            "profession_code": "10",
        }


def orientation_items(count: int, quarter: Quarter, rng: random.Random) -> Iterator[dict[str, Any]]:
    start = datetime.combine(quarter.first_day, datetime.min.time(), tzinfo=UTC)
    seconds = int(
        (datetime.combine(quarter.last_day, datetime.min.time(), tzinfo=UTC) - start).total_seconds()
    )
    for number in range(count * ORIENTATIONS_PER_EFFECTEUR):
        owner = effecteur_pk(national_id(rng.randrange(count)))
        at = utc_text(start + timedelta(seconds=rng.randrange(seconds)))
        if rng.random() < 0.4:
            pk = f"BOOKING#b{number}"
            extra = {"booking_id": f"b{number}", "outcome": rng.choice(OUTCOMES), "snp": True}
        else:
            pk = f"APPT#ed#{number:032x}"
            extra = {"status": rng.choice(RECORD_STATUSES)}
            if rng.random() < 0.1:
                extra["booking_id"] = f"b{number - 1}"
        yield {"pk": pk, "sk": "META", "effecteur_pk": owner, "at_sk": f"{at}#{pk}", **extra}


def seed(stub: DynamoStub, rt: Runtime, count: int, quarter: Quarter) -> dict[str, int]:
    rng = random.Random(count)  # noqa: S311 - synthetic data, reproducible
    name = rt.settings.table_name
    return {
        "profiles": stub.load(name(EFFECTEURS), profile_items(count)),
        "participations": stub.load(name(PARTICIPATIONS), participation_items(count, quarter, rng)),
        "orientations": stub.load(name(ORIENTATIONS), orientation_items(count, quarter, rng)),
    }


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


_EQUALS = re.compile(r"^(\S+) = (\S+)$")
_BEGINS = re.compile(r"^begins_with\((\S+), (\S+)\)$")
_BETWEEN = re.compile(r"^(\S+) BETWEEN (\S+) AND (\S+)$")
Wire = dict[str, dict[str, Any]]


def _text(value: Mapping[str, Any]) -> str:
    return str(value["S"])


class DynamoStub:
    """DynamoDB for the export, in memory: Query (on a table or an index: an equality on the partition key,
    then `begins_with` or `BETWEEN` on the sort key; Limit, ExclusiveStartKey, ScanIndexForward,
    ProjectionExpression) and BatchGetItem, each answered after `ROUND_TRIP_MS` (a botocore before-send
    handler: what the client sends is built, signed and its answer parsed for real)."""

    def __init__(self, tables: Mapping[str, TableDef], delay_ms: float = ROUND_TRIP_MS) -> None:
        self._tables = dict(tables)  # physical name → definition
        self._delay = delay_ms / 1000
        self._items: dict[str, dict[tuple[str, str], Wire]] = {name: {} for name in self._tables}
        self._partitions: dict[tuple[str, str | None], dict[str, list[tuple[str, str, str]]]] = {}

    def load(self, table: str, items: Iterable[dict[str, Any]]) -> int:
        stored = self._items[table]
        for item in items:
            stored[(str(item["pk"]), str(item["sk"]))] = storage.wire_item(item)
        self._partitions.clear()
        return len(stored)

    def _keys(self, table: str, index: str | None) -> tuple[str, str]:
        definition = self._tables[table]
        if index is None:
            return definition.partition_key, str(definition.sort_key)
        found = definition.index(index)
        return found.partition_key, found.sort_key

    def _partition(self, table: str, index: str | None, value: str) -> list[tuple[str, str, str]]:
        """(sort value, pk, sk) of the partition's items, sorted (grouped once per table and index)."""
        if (table, index) not in self._partitions:
            hash_name, sort_name = self._keys(table, index)
            grouped: dict[str, list[tuple[str, str, str]]] = {}
            for (pk, sk), wire in self._items[table].items():
                if hash_name in wire and sort_name in wire:
                    grouped.setdefault(_text(wire[hash_name]), []).append((_text(wire[sort_name]), pk, sk))
            for rows in grouped.values():
                rows.sort()
            self._partitions[(table, index)] = grouped
        return self._partitions[(table, index)].get(value, [])

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        body = json.loads(request.body)
        answer = self._query(body) if operation == "Query" else self._batch_get(body)
        time.sleep(self._delay)
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.0"
        return AWSResponse(request.url, 200, headers, _Body(json.dumps(answer).encode()))

    def _query(self, body: dict[str, Any]) -> dict[str, Any]:
        table, index = body["TableName"], body.get("IndexName")
        names, values = body.get("ExpressionAttributeNames", {}), body.get("ExpressionAttributeValues", {})
        partition, _, sort = body["KeyConditionExpression"].partition(" AND ")
        equals = _EQUALS.match(partition)
        assert equals is not None, body["KeyConditionExpression"]
        rows = self._partition(table, index, _text(values[equals.group(2)]))
        rows = [row for row in rows if self._sort_matches(sort.strip(), row[0], values)]
        if body.get("ScanIndexForward") is False:
            rows.reverse()
        start = body.get("ExclusiveStartKey")
        if start:
            after = (_text(start["pk"]), _text(start["sk"]))
            rows = rows[next(n for n, row in enumerate(rows) if (row[1], row[2]) == after) + 1 :]
        limit = body.get("Limit") or len(rows)
        page = rows[:limit]
        items = [self._project(self._items[table][(pk, sk)], body, names) for _, pk, sk in page]
        answer: dict[str, Any] = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
        if len(rows) > limit:
            last = self._items[table][(page[-1][1], page[-1][2])]
            key_names = {"pk", "sk", *self._keys(table, index)}
            answer["LastEvaluatedKey"] = {name: last[name] for name in key_names}
        return answer

    @staticmethod
    def _sort_matches(condition: str, value: str, values: Mapping[str, Any]) -> bool:
        if not condition:
            return True
        if begins := _BEGINS.match(condition):
            return value.startswith(_text(values[begins.group(2)]))
        between = _BETWEEN.match(condition)
        assert between is not None, condition
        return _text(values[between.group(2)]) <= value <= _text(values[between.group(3)])

    @staticmethod
    def _project(item: Wire, request: Mapping[str, Any], names: Mapping[str, str]) -> Wire:
        projection = request.get("ProjectionExpression")
        if not projection:
            return item
        wanted = {names.get(name.strip(), name.strip()) for name in projection.split(",")}
        return {name: value for name, value in item.items() if name in wanted}

    def _batch_get(self, body: dict[str, Any]) -> dict[str, Any]:
        responses: dict[str, list[Wire]] = {}
        for table, asked in body["RequestItems"].items():
            names = asked.get("ExpressionAttributeNames", {})
            found = (self._items[table].get((_text(key["pk"]), _text(key["sk"]))) for key in asked["Keys"])
            responses[table] = [self._project(item, asked, names) for item in found if item is not None]
        return {"Responses": responses, "UnprocessedKeys": {}}


class Requests:
    """Counts DynamoDB calls by operation (a botocore before-call handler)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def __call__(self, model: Any, **_: Any) -> None:
        self.counts[model.name] = self.counts.get(model.name, 0) + 1


def measure(count: int) -> dict[str, Any]:
    """One size, in this interpreter (`run` starts a fresh one per size)."""
    from sas_local.platform import running

    with running(seed=False, run_schedules=False) as platform:
        rt = platform.runtime
        quarter = Quarter(datetime.now(rt.territory.zone).year - 1, 1)
        stub = DynamoStub({rt.settings.table_name(table): table for table in TABLES})
        seeded = seed(stub, rt, count, quarter)
        counter = Requests()
        for client in (rt.aws.dynamodb.meta.client, rt.aws.dynamodb_client):
            client.meta.events.register("before-call.dynamodb", cast(Any, counter), unique_id="bench-count")
            client.meta.events.register_first("before-send.dynamodb", cast(Any, stub), unique_id="bench-stub")
        rt.exports.write("warm-up.csv", ["x"])  # the S3 client made before the measure
        now = datetime.now(UTC)
        wall, cpu = time.perf_counter(), time.process_time()
        key = service.export_quarter(rt, quarter, now)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        requests = dict(counter.counts)
        # The heap, on a second run: tracemalloc slows every allocation, so the first run is timed without.
        tracemalloc.start()
        service.export_quarter(rt, quarter, now)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        body = rt.exports.read(key)
    lines = body.decode().splitlines()
    return {
        "effecteurs": count,
        "seeded": seeded,
        "rows": len(lines) - 1,
        "csv_bytes": len(body),
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "peak_bytes": peak,
        "requests": requests,
        "met": sum(line.split(",")[7] == "met" for line in lines[1:]),
    }


def _in_fresh_interpreter(count: int) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.eligibility_export", str(count)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def round_trip_floor(result: dict[str, Any]) -> float:
    """The wall time round trips alone allow: per page, its Query and BatchGetItem one after the other, then
    its effecteurs' Queries (2 or 3 each, in a row) `EXPORT_CONCURRENCY` at a time."""
    requests: dict[str, int] = result["requests"]
    pages = requests.get("BatchGetItem", 0)  # one per page of declarations
    per_effecteur = (requests.get("Query", 0) - pages) / int(result["effecteurs"])
    rounds = math.ceil(service.EXPORT_PAGE / service.EXPORT_CONCURRENCY)
    return float(pages * (2 + rounds * per_effecteur) * ROUND_TRIP_MS / 1000)


def _requests(counts: dict[str, int]) -> str:
    return f"{sum(counts.values()):,} (" + ", ".join(f"{n:,} {op}" for op, n in sorted(counts.items())) + ")"


def run(sizes: Sequence[int] = SIZES) -> tuple[str, list[dict[str, Any]]]:
    results = [_in_fresh_interpreter(count) for count in sizes]
    report = [
        "## Eligibility export",
        "",
        "The quarterly export of a synthetic territory (`service.export_quarter`, as the scheduled job runs "
        f"it: pages of {service.EXPORT_PAGE} declarations, each page's effecteurs read "
        f"{service.EXPORT_CONCURRENCY} at a time, the CSV streamed to the territory's bucket), a fresh "
        f"interpreter per size. {ORIENTATIONS_PER_EFFECTEUR} orientations per effecteur in the quarter "
        "(records and bookings of every status), the ISO year's weeks through the quarter frozen for each "
        "(minutes or editor evidence), 20 % interfaced, one in ten on a second declaration version. DynamoDB "
        f"answers from memory after {ROUND_TRIP_MS:.0f} ms a request (boto3 and our code for real; moto "
        "scans its whole table for every Query); S3 is moto.",
        "",
        "| effecteurs | orientations | rows | DynamoDB requests | per effecteur | wall s | CPU s "
        "| round trips alone s | export peak heap (MB) | CSV (kB) |",
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        total = sum(r["requests"].values())
        report.append(
            f"| {r['effecteurs']:,} | {r['seeded']['orientations']:,} | {r['rows']:,} "
            f"| {_requests(r['requests'])} "
            f"| {total / r['effecteurs']:.2f} | {r['wall_seconds']:.1f} | {r['cpu_seconds']:.1f} "
            f"| {round_trip_floor(r):.1f} | {r['peak_bytes'] / 1e6:.1f} | {r['csv_bytes'] / 1e3:.0f} |"
        )
    small, large = results[0], results[-1]
    scans = sum(r["requests"].get("Scan", 0) for r in results)
    growth = large["effecteurs"] / small["effecteurs"]
    request_ratio = sum(large["requests"].values()) / sum(small["requests"].values())
    goal = next((r for r in results if r["effecteurs"] == GOAL_EFFECTEURS), large)
    report += [
        "",
        f"Goal: memory flat in the number of effecteurs, requests linear in it, no Scan. From "
        f"{small['effecteurs']:,} to {large['effecteurs']:,} effecteurs (×{growth:.0f}): requests ×"
        f"{request_ratio:.2f} — one Query of the declarations index and one BatchGetItem of names per page "
        f"of {service.EXPORT_PAGE}, two Queries per effecteur (the year's weeks, the quarter's orientations) "
        f"and a third for the tenth whose declaration has a history — and {scans} Scan; the export's peak "
        f"heap {small['peak_bytes'] / 1e6:.1f} → {large['peak_bytes'] / 1e6:.1f} MB: a page of declarations "
        "and its rows, the page's answers, and the CSV not yet sent (it grows with the file, ≈ 100 bytes a "
        "line, up to one 8 MiB S3 part, then is sent and starts again: a territory's quarter is one part). "
        f"At {goal['effecteurs']:,} effecteurs and {goal['seeded']['orientations']:,} orientations the "
        f"export takes {goal['wall_seconds']:.1f} s ({goal['cpu_seconds']:.1f} s of CPU; the round trips "
        f"alone would allow {round_trip_floor(goal):.1f} s) — inside the eligibility function's 29 s, for "
        "the job and for the admins' download alike.",
        "",
    ]
    return "\n".join(report), results


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]))))
