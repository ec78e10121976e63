"""Schemathesis over every route of the OpenAPI document, with a token of each role the route allows and of
one it does not: no answer ≥ 500, no status the document does not list, every answer's content type and
body as documented. Issue 13's hostile requests run over HTTP through the same checks, as explicit cases.

The run is seeded (`derandomize`), bounded and writes no example database. `make test` runs a few cases per
operation and role (`FUZZ_EXAMPLES`, default 4); `make fuzz` runs this module alone with many more. It
drives a platform of its own — `python -m sas_local` (`make run`) on a free port — so that its random
writes (a reset of every declaration, a directory import, …) never reach the session's platform.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation.case import Case

from fhir_samples import appointment
from local_process import local_platform
from sas_common.auth import POLICY, Role
from sas_common.routes import (
    FHIR_APPOINTMENT_CREATE,
    PARTICIPATION_PUT,
    REGULATOR_INFO_PUT,
    ROUTES,
    STRUCTURE_PARTICIPATION_PUT,
    Route,
)
from sas_local.openapi import DOCUMENT

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SCHEMA = schemathesis.openapi.from_path(DOCUMENT)

MARTIN, BERNARD = "810000000001", "810000000002"  # the demo's manual and editor-synced effecteurs
STRUCTURE, PLACE, EDITOR = "31MSP0001", "p1", "demo-editor"
DELEGATE, REGULATOR = "delegate.fuzz@example.org", "regulator.fuzz"
# Each role's token: a subject (and claims) the demo data knows, so that ownership is sometimes granted.
TOKENS: dict[Role, dict[str, str]] = {
    Role.EFFECTEUR: {"sub": MARTIN},
    Role.DELEGATE: {"sub": DELEGATE},
    Role.STRUCTURE_MANAGER: {"sub": "manager.fuzz", "structure_id": STRUCTURE},
    Role.REGULATOR: {"sub": REGULATOR},
    Role.TERRITORY_ADMIN: {"sub": "admin.fuzz"},
    Role.EDITOR: {"sub": f"{EDITOR}-client", "editor_id": EDITOR},
}


@dataclass(frozen=True)
class Target:
    route: Route
    role: Role | None  # None: no token (public routes)
    allowed: bool

    @property
    def id(self) -> str:
        who = self.role.value if self.role else "anonymous"
        return f"{self.route.method} {self.route.path} as {who}{'' if self.allowed else ' (refused)'}"


def targets() -> list[Target]:
    """Every route with each role its action allows and the first role it refuses."""
    found: list[Target] = []
    for route in ROUTES:
        if route.action is None:
            found.append(Target(route, None, True))
            continue
        allowed = POLICY[route.action]
        found += [Target(route, role, True) for role in Role if role in allowed]
        found += [Target(route, role, False) for role in Role if role not in allowed][:1]
    return found


@dataclass
class Fuzzed:
    base: str
    tokens: dict[Role, str]
    real: dict[str, list[str]]  # path parameter → values that name stored data
    session: requests.Session


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[Fuzzed]:
    with local_platform(drain=True) as (_, base, _lines), httpx.Client(base_url=base, timeout=60) as http:
        tokens = {role: _token(http, role, **claims) for role, claims in TOKENS.items()}
        real = _real_data(http, tokens)
        with requests.Session() as session:
            yield Fuzzed(base, tokens, real, session)


def _token(http: httpx.Client, role: Role, **claims: str) -> str:
    answer = http.post("/_local/token", json={"role": role.value, **claims})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _real_data(http: httpx.Client, tokens: dict[Role, str]) -> dict[str, list[str]]:
    """Stored data for path parameters to name: an approved delegate of MARTIN's, a regulator account."""

    def auth(role: Role) -> dict[str, str]:
        return {"authorization": f"Bearer {tokens[role]}"}

    person = {"last_name": "Fuzz", "first_name": "Delegate", "city": "Toulouse", "email": DELEGATE}
    requested = http.post(f"/effecteurs/{MARTIN}/delegates", json=person, headers=auth(Role.EFFECTEUR))
    assert requested.status_code in (200, 201), requested.text
    delegate_id = requested.json()["id"]
    approved = http.post(
        f"/effecteurs/{MARTIN}/delegates/{delegate_id}/approve", headers=auth(Role.TERRITORY_ADMIN)
    )
    assert approved.status_code == 200, approved.text
    account = {"technical_id": "REGFUZZ01", "family_name": "Fuzz", "active": True}
    http.put(f"/regulators/{REGULATOR}", json=account, headers=auth(Role.TERRITORY_ADMIN))
    return {
        "national_id": [MARTIN, BERNARD],
        "structure_id": [STRUCTURE],
        "place_id": [PLACE],
        "delegate_id": [delegate_id],
        "regulator_id": [REGULATOR],
    }


def strategy(target: Target, real: dict[str, list[str]]) -> st.SearchStrategy[Case[Any]]:
    """Valid and invalid cases, half of them with path parameters that name stored data."""
    operation = SCHEMA[target.route.path][target.route.method]
    names = [name for name in real if "{" + name + "}" in target.route.path]
    choices = st.fixed_dictionaries({name: st.sampled_from(real[name]) for name in names})
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    if names:
        strategies += [choices.flatmap(partial(_with_parameters, operation, mode)) for mode in modes]
    return st.one_of(strategies)


def _with_parameters(operation: Any, mode: GenerationMode, chosen: dict[str, str]) -> Any:
    return operation.as_strategy(mode, path_parameters=chosen)


def check(fuzzed: Fuzzed, target: Target, case: Case[Any]) -> None:
    headers = {"authorization": f"Bearer {fuzzed.tokens[target.role]}"} if target.role else {}
    response = case.call(base_url=fuzzed.base, session=fuzzed.session, headers=headers, timeout=60)
    case.validate_response(response, checks=CHECKS, headers=headers)


@pytest.mark.parametrize("target", targets(), ids=lambda target: target.id)
def test_every_answer_is_documented_and_none_is_a_server_error(fuzzed: Fuzzed, target: Target) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy(target, fuzzed.real))
    def fuzz(case: Case[Any]) -> None:
        check(fuzzed, target, case)

    fuzz()


# --- issue 13's hostile requests, as explicit cases -------------------------------------------------------

JSON_TYPE, FHIR_TYPE = "application/json", "application/fhir+json"
MANUAL = {"participates": True, "modality": "individual", "uses_interfaced_software": False}


def _record(**changes: Any) -> bytes:
    record = appointment(**changes)
    record["participant"][0]["actor"]["identifier"]["value"] = MARTIN
    return json.dumps(record).encode()


@dataclass(frozen=True)
class Hostile:
    name: str
    route: Route
    role: Role
    body: bytes
    content_type: str | None
    status: int

    @property
    def path_parameters(self) -> dict[str, str]:
        values = {"national_id": MARTIN, "structure_id": STRUCTURE}
        return {name: values[name] for name in self.route.parameters}


HOSTILE = [
    Hostile("nested 5000 deep", PARTICIPATION_PUT, Role.EFFECTEUR, b"[" * 5000 + b"]" * 5000, JSON_TYPE, 400),
    Hostile(
        "integer of 4400 digits",
        PARTICIPATION_PUT,
        Role.EFFECTEUR,
        b'{"participates": ' + b"1" * 4400 + b"}",
        JSON_TYPE,
        400,
    ),
    Hostile("not UTF-8", REGULATOR_INFO_PUT, Role.EFFECTEUR, b"\xff\xfe{}", JSON_TYPE, 400),
    Hostile("lone surrogate", REGULATOR_INFO_PUT, Role.EFFECTEUR, b'{"text": "\\ud800"}', JSON_TYPE, 400),
    Hostile(
        "500 kB of text",
        REGULATOR_INFO_PUT,
        Role.EFFECTEUR,
        json.dumps({"text": "x" * 500_000}).encode(),
        JSON_TYPE,
        422,
    ),
    Hostile(
        "a form with a boundary",
        PARTICIPATION_PUT,
        Role.EFFECTEUR,
        b"--x--",
        "multipart/form-data; boundary=x",
        415,
    ),
    Hostile("a form without one", PARTICIPATION_PUT, Role.EFFECTEUR, b"--x--", "multipart/form-data", 415),
    Hostile("no content type", PARTICIPATION_PUT, Role.EFFECTEUR, json.dumps(MANUAL).encode(), None, 415),
    Hostile(
        "doctors 5e-324",
        STRUCTURE_PARTICIPATION_PUT,
        Role.TERRITORY_ADMIN,
        b'{"kind": "cds", "structure_name": "CDS", "participates": false, "doctors": 5e-324}',
        JSON_TYPE,
        422,
    ),
    Hostile(
        "an appointment in year 1",
        FHIR_APPOINTMENT_CREATE,
        Role.EDITOR,
        _record(start="0001-01-01T00:00:00+14:00", end="0001-01-01T00:15:00+14:00"),
        FHIR_TYPE,
        422,
    ),
    Hostile(
        "an appointment in year 9999",
        FHIR_APPOINTMENT_CREATE,
        Role.EDITOR,
        _record(start="9999-12-31T23:00:00+14:00", end="9999-12-31T23:15:00+14:00"),
        FHIR_TYPE,
        422,
    ),
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda hostile: hostile.name)
def test_issue_13s_hostile_requests_answer_their_documented_4xx_and_change_nothing(
    fuzzed: Fuzzed, hostile: Hostile
) -> None:
    operation = SCHEMA[hostile.route.path][hostile.route.method]
    case = operation.Case(path_parameters=hostile.path_parameters)
    headers = {"authorization": f"Bearer {fuzzed.tokens[hostile.role]}"}
    if hostile.content_type is not None:
        headers["content-type"] = hostile.content_type
    before = _declaration(fuzzed)

    response = fuzzed.session.request(
        hostile.route.method,
        fuzzed.base + case.formatted_path,
        data=hostile.body,
        headers=headers,
        timeout=60,
    )

    assert response.status_code == hostile.status, response.text[:300]
    case.validate_response(response, checks=CHECKS, headers=headers)
    assert _declaration(fuzzed) == before


def _declaration(fuzzed: Fuzzed) -> Any:
    """MARTIN's declaration as he reads it."""
    answer = fuzzed.session.get(
        f"{fuzzed.base}/effecteurs/{MARTIN}/participation",
        headers={"authorization": f"Bearer {fuzzed.tokens[Role.EFFECTEUR]}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()
