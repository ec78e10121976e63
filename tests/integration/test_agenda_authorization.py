"""Every protected route of the platform × every role, with the expected outcome (issue: "Authorization").

Each role acts on an effecteur it is related to where it can be (its own card, its approved principal,
its structure): what is refused here is refused by role, not by a missing relation.
"""

from __future__ import annotations

from typing import Any

import pytest

from sas_common.auth import Role
from sas_common.effecteurs import delegates, service
from sas_common.routes import ROUTES, Route
from sas_local.platform import LocalPlatform
from support import Client, new_effecteur

E, D, SM, REG, ADM, ED = (
    Role.EFFECTEUR,
    Role.DELEGATE,
    Role.STRUCTURE_MANAGER,
    Role.REGULATOR,
    Role.TERRITORY_ADMIN,
    Role.EDITOR,
)
EFF = "/effecteurs/{national_id}"

# Who may call each route (docs/contract.md "who" column, and auth.POLICY).
ALLOWED: dict[str, set[Role]] = {
    f"GET {EFF}": {E, D, SM, REG, ADM},
    "POST /directory/imports": {ADM},
    f"PUT {EFF}/participation": {E, SM, ADM},
    f"GET {EFF}/participation": {E, SM, ADM},
    "POST /participations/reset": {ADM},
    "PUT /structures/{structure_id}/participation": {SM, ADM},
    f"POST {EFF}/availabilities": {E, D, SM},
    f"PATCH {EFF}/availabilities/{{availability_id}}": {E, D, SM},
    f"DELETE {EFF}/availabilities/{{availability_id}}": {E, D, SM},
    f"GET {EFF}/agenda": {E, D, SM, REG, ADM},
    f"PUT {EFF}/places/{{place_id}}/unavailability": {E, D, SM},
    f"PUT {EFF}/regulator-info": {E, ADM},
    f"POST {EFF}/delegates": {E, ADM},
    f"POST {EFF}/delegates/{{delegate_id}}/approve": {ADM},
}
AGENDA_ROUTES = [route for route in ROUTES if route.key in ALLOWED]
STRUCTURE = "31CDS7777"
DELEGATE_EMAIL = "delegate.auth@example.org"


def test_the_table_covers_every_protected_agenda_route() -> None:
    protected = {route.key for route in ROUTES if route.protected and route.capability.value == "agenda"}
    assert protected == set(ALLOWED)


@pytest.fixture(scope="module")
def doctor(platform: LocalPlatform) -> str:
    rt = platform.runtime
    national_id = new_effecteur(rt, structure_ids=[STRUCTURE])
    created, _ = service.request_delegate(
        rt,
        national_id,
        delegates.DelegateRequest(last_name="D", first_name="D", city="Toulouse", email=DELEGATE_EMAIL),
    )
    service.approve_delegate(rt, national_id, created.id)
    return national_id


def token_for(client: Client, role: Role, doctor: str) -> str:
    claims: dict[str, Any] = {
        Role.EFFECTEUR: {"sub": doctor},
        Role.DELEGATE: {"sub": DELEGATE_EMAIL},
        Role.STRUCTURE_MANAGER: {"sub": "manager", "structure_id": STRUCTURE},
        Role.REGULATOR: {"sub": "regulator"},
        Role.TERRITORY_ADMIN: {"sub": "admin"},
        Role.EDITOR: {"sub": "client", "editor_id": "demo-editor"},
    }[role]
    return client.token(role.value, **claims)


def path_of(route: Route, doctor: str) -> str:
    return route.path.format(
        national_id=doctor,
        structure_id=STRUCTURE,
        availability_id="unknown-availability",
        place_id="p1",
        delegate_id="0123456789abcdef",
    )


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("route", AGENDA_ROUTES, ids=lambda route: route.key)
def test_route_by_role(client: Client, doctor: str, route: Route, role: Role) -> None:
    response = client.request(
        route.method, path_of(route, doctor), json_body={}, token=token_for(client, role, doctor)
    )
    if role in ALLOWED[route.key]:
        assert response.status not in (401, 403), response.body
        assert response.status < 500, response.body
        assert not response.json().get("message", "").startswith("no route"), "the route has no handler"
    else:
        assert response.status == 403, response.body
        assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize("route", AGENDA_ROUTES, ids=lambda route: route.key)
def test_no_token_is_401_everywhere(client: Client, doctor: str, route: Route) -> None:
    assert client.request(route.method, path_of(route, doctor), json_body={}).status == 401
