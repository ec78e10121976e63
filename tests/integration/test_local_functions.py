"""The in-process mode (the test suite's platform): every invocation of every function runs alone, so
concurrent callers never see each other's request, even across capabilities (powertools keeps the current
event on the resolver class, process-wide)."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sas_common.capabilities import FUNCTIONS
from sas_common.jobs import JOBS
from sas_local.functions import InProcessFunctions, LocalFunction, NestedInvocation, platform_functions
from sas_local.platform import LocalPlatform
from support import Client

MARTIN = "810000000001"
UNKNOWN = "819999999999"


def test_every_deployed_function_has_a_local_name() -> None:
    functions = platform_functions()

    assert {f"sas-local-{capability.value}" for capability in FUNCTIONS} <= set(functions)
    assert {f"sas-local-job-{name}" for name in JOBS} <= set(functions)
    worker = functions["sas-local-poll-worker"]  # as the stack labels the queue's consumer
    assert (worker.module, worker.entrypoint) == ("ingest.handler", "poll_worker_handler")


# The agenda function's errors (its JSON: one refused before its resolver, one by it) and ingest's (FHIR).
TURNS = (
    ("agenda", f"/effecteurs/{UNKNOWN}", 404),
    ("fhir", "/fhir/Appointment/{id}", 404),
    ("agenda", f"/effecteurs/{MARTIN}/agenda?from=2026-01-01&to=2026-12-31", 422),
    ("fhir", "/fhir/Appointment/{id}", 404),
)


def test_concurrent_callers_each_get_their_own_capabilitys_answer(platform: LocalPlatform) -> None:
    client = Client(platform)
    tokens = {
        "agenda": client.token("regulator", "reg-threads"),
        "fhir": client.token("editor", "editor-threads", editor_id="demo-editor"),
    }

    def traffic(first: int) -> list[tuple[str, int, int, str, dict[str, Any]]]:
        answers = []
        deadline = time.monotonic() + 1.5
        turn = first
        while time.monotonic() < deadline:
            kind, path, expected = TURNS[turn % len(TURNS)]
            response = client.get(path.replace("{id}", uuid.uuid4().hex), token=tokens[kind])
            content_type = response.headers.get("content-type", "")
            answers.append((kind, expected, response.status, content_type, response.json()))
            turn += 1
        return answers

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [answer for batch in pool.map(traffic, range(8)) for answer in batch]

    for kind, expected, status, content_type, body in answers:
        assert status == expected, body
        if kind == "agenda":
            assert content_type == "application/json", body
            assert "error" in body, body
            assert "resourceType" not in body, body
        else:
            assert content_type.startswith("application/fhir+json"), body
            assert body["resourceType"] == "OperationOutcome"


def _probe(name: str) -> LocalFunction:
    return LocalFunction(name, "probe", "handler", 128, 3)


def test_in_process_invocations_never_overlap_even_across_functions() -> None:
    functions = InProcessFunctions({name: _probe(name) for name in ("a", "b")})
    running = 0
    most = 0
    lock = threading.Lock()

    def handler(event: Any, context: Any) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.005)
        with lock:
            running -= 1
        return str(context.function_name)

    for name in ("a", "b"):
        functions._entrypoints[name] = handler  # a probe in place of an imported module

    with ThreadPoolExecutor(max_workers=8) as pool:
        names = list(pool.map(lambda n: functions.invoke("ab"[n % 2], {}), range(40)))

    assert most == 1
    assert names == ["ab"[n % 2] for n in range(40)]


def test_a_function_waiting_for_another_in_process_fails_instead_of_hanging() -> None:
    functions = InProcessFunctions({name: _probe(name) for name in ("outer", "inner")})
    functions._entrypoints["inner"] = lambda event, context: "inner"
    functions._entrypoints["outer"] = lambda event, context: functions.invoke("inner", event)

    with pytest.raises(NestedInvocation, match="one at a time"):
        functions.invoke("outer", {})
    assert functions.invoke("inner", {}) == "inner"  # nothing left held
