"""The policy, table-driven: role × action (coarse, every protected route), then ownership."""

from __future__ import annotations

import pytest

from sas_common.auth import (
    POLICY,
    Action,
    Principal,
    Role,
    Scope,
    Target,
    authorize,
    principal_from_claims,
    require_role,
)
from sas_common.errors import Forbidden, Unauthenticated

DOCTOR = "810000000001"
OTHER_DOCTOR = "810000000002"
STRUCTURE = "SIRET-123"

EFFECTEUR = Principal(DOCTOR, Role.EFFECTEUR)
DELEGATE = Principal("delegate-1", Role.DELEGATE)
MANAGER = Principal("manager-1", Role.STRUCTURE_MANAGER, structure_id=STRUCTURE)
REGULATOR = Principal("regulator-1", Role.REGULATOR)
ADMIN = Principal("admin-1", Role.TERRITORY_ADMIN)
EDITOR = Principal("client-1", Role.EDITOR, editor_id="doctolib")

OWN_CARD = Target(DOCTOR, frozenset({STRUCTURE}), approved_delegates=frozenset({"delegate-1"}))
OTHER_CARD = Target(OTHER_DOCTOR, frozenset({"SIRET-999"}))


@pytest.mark.parametrize(
    ("principal", "action", "target", "allowed"),
    [
        (EFFECTEUR, Action.READ_CARD, OWN_CARD, True),
        (EFFECTEUR, Action.READ_CARD, OTHER_CARD, False),
        (DELEGATE, Action.EDIT_AGENDA, OWN_CARD, True),
        (DELEGATE, Action.EDIT_AGENDA, OTHER_CARD, False),
        (MANAGER, Action.EDIT_AGENDA, OWN_CARD, True),
        (MANAGER, Action.EDIT_AGENDA, OTHER_CARD, False),
        (REGULATOR, Action.READ_CARD, OTHER_CARD, True),
        (REGULATOR, Action.EDIT_AGENDA, OWN_CARD, False),
        (ADMIN, Action.READ_CARD, OTHER_CARD, True),
        (ADMIN, Action.IMPORT_DIRECTORY, Target(), True),
        (EFFECTEUR, Action.IMPORT_DIRECTORY, Target(), False),
        (EDITOR, Action.EDITOR_PUSH, Target(editor_id="doctolib"), True),
        (EDITOR, Action.EDITOR_PUSH, Target(editor_id="maiia"), False),
        (EDITOR, Action.READ_CARD, OWN_CARD, False),
        (REGULATOR, Action.SEARCH, Target(), True),
        (EFFECTEUR, Action.SEARCH, Target(), False),
        (EFFECTEUR, Action.READ_ELIGIBILITY, OWN_CARD, True),
        (EFFECTEUR, Action.READ_ELIGIBILITY, OTHER_CARD, False),
    ],
)
def test_role_action_ownership(principal: Principal, action: Action, target: Target, allowed: bool) -> None:
    if allowed:
        authorize(principal, action, target)
    else:
        with pytest.raises(Forbidden):
            authorize(principal, action, target)


@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_a_policy_and_no_role_is_silently_allowed(action: Action) -> None:
    allowed = POLICY[action]
    assert allowed, f"{action} allows nobody"
    for role in Role:
        if role in allowed:
            assert require_role(Principal("x", role, editor_id="e"), action) is allowed[role]
        else:
            with pytest.raises(Forbidden, match=f"role '{role}'"):
                require_role(Principal("x", role, editor_id="e"), action)


def test_an_editor_only_ever_acts_as_itself() -> None:
    assert all(scope is Scope.SELF_EDITOR for scope in (a.get(Role.EDITOR) for a in POLICY.values()) if scope)


def test_a_delegate_without_approved_principals_reaches_nobody() -> None:
    with pytest.raises(Forbidden):
        authorize(Principal("d", Role.DELEGATE), Action.EDIT_AGENDA, OWN_CARD)


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (None, "a bearer token is required"),
        ({}, "a bearer token is required"),
        ({"sas_role": "regulator"}, "no subject"),
        ({"sub": "x", "sas_role": "doctor"}, "no known role"),
        ({"sub": "x"}, "no known role"),
        ({"sub": "x", "sas_role": "editor"}, "must carry 'sas_editor_id'"),
    ],
)
def test_unusable_claims_are_unauthenticated(claims: dict[str, str] | None, message: str) -> None:
    with pytest.raises(Unauthenticated, match=message):
        principal_from_claims(claims)


def test_claims_map_to_a_principal() -> None:
    principal = principal_from_claims(
        {"sub": "m-1", "sas_role": "structure_manager", "sas_structure_id": "S1"}
    )
    assert principal == Principal("m-1", Role.STRUCTURE_MANAGER, structure_id="S1")
