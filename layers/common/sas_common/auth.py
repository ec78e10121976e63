"""Who is calling, and what they may do: the one policy module (role × action × ownership).

In production the HTTP API's JWT authorizer has verified the token (signature, issuer, audience, expiry)
before the Lambda runs; editors may instead present an mTLS client certificate on the custom domain.
Locally, the local runtime verifies its own tokens the same way and fills the event identically.
Handlers only ever see a `Principal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sas_common.errors import Forbidden, Unauthenticated

# The claims the platform reads from a verified token.
CLAIM_SUBJECT = "sub"
CLAIM_ROLE = "sas_role"
CLAIM_EDITOR = "sas_editor_id"
CLAIM_STRUCTURE = "sas_structure_id"


class Role(StrEnum):
    EFFECTEUR = "effecteur"
    DELEGATE = "delegate"
    STRUCTURE_MANAGER = "structure_manager"
    REGULATOR = "regulator"
    TERRITORY_ADMIN = "territory_admin"
    EDITOR = "editor"


class Action(StrEnum):
    READ_CARD = "read_card"
    DECLARE_PARTICIPATION = "declare_participation"
    EDIT_AGENDA = "edit_agenda"
    READ_AGENDA = "read_agenda"
    EDIT_UNAVAILABILITY = "edit_unavailability"
    IMPORT_DIRECTORY = "import_directory"
    SEARCH = "search"
    BOOK = "book"
    READ_ORIENTATIONS = "read_orientations"  # the territory's orientations (regulators' dashboard)
    READ_EFFECTEUR_ORIENTATIONS = "read_effecteur_orientations"  # the orientations towards an effecteur
    MARK_ORIENTATION_DONE = "mark_orientation_done"  # the consultation took place
    READ_ELIGIBILITY = "read_eligibility"
    EDITOR_PUSH = "editor_push"
    READ_PARTICIPATION = "read_participation"
    RESET_DECLARATIONS = "reset_declarations"
    DECLARE_STRUCTURE_PARTICIPATION = "declare_structure_participation"
    EDIT_REGULATOR_INFO = "edit_regulator_info"
    REQUEST_DELEGATE = "request_delegate"
    APPROVE_DELEGATE = "approve_delegate"
    MANAGE_REGULATORS = "manage_regulators"  # regulator accounts, sent to level-2 editors (INT_R02)
    # eligibility
    READ_STRUCTURE_ELIGIBILITY = "read_structure_eligibility"  # a structure's indicator 8
    EXPORT_ELIGIBILITY = "export_eligibility"  # the territory's CSV exports
    LOG_SHIFTS = "log_shifts"  # a liberal regulator's own shifts: log, delete
    READ_SHIFTS = "read_shifts"  # a regulator's shifts and month statement
    READ_REGULATION_STATEMENT = "read_regulation_statement"  # an association's regulators' month


class Scope(StrEnum):
    """How far a role reaches for an action, once the role is allowed at all."""

    TERRITORY = "territory"  # anything in the territory
    OWN = "own"  # the effecteur themself
    PRINCIPAL = "principal"  # a delegate: the approved principals only
    STRUCTURE = "structure"  # a structure manager: effecteurs of their structure
    SELF_EDITOR = "self_editor"  # an editor: only as itself


R = Role
POLICY: dict[Action, dict[Role, Scope]] = {
    Action.READ_CARD: {
        R.REGULATOR: Scope.TERRITORY,
        R.TERRITORY_ADMIN: Scope.TERRITORY,
        R.EFFECTEUR: Scope.OWN,
        R.DELEGATE: Scope.PRINCIPAL,
        R.STRUCTURE_MANAGER: Scope.STRUCTURE,
    },
    Action.DECLARE_PARTICIPATION: {
        R.EFFECTEUR: Scope.OWN,
        R.TERRITORY_ADMIN: Scope.TERRITORY,
        R.STRUCTURE_MANAGER: Scope.STRUCTURE,
    },
    Action.EDIT_AGENDA: {
        R.EFFECTEUR: Scope.OWN,
        R.DELEGATE: Scope.PRINCIPAL,
        R.STRUCTURE_MANAGER: Scope.STRUCTURE,
    },
    Action.READ_AGENDA: {
        R.EFFECTEUR: Scope.OWN,
        R.DELEGATE: Scope.PRINCIPAL,
        R.STRUCTURE_MANAGER: Scope.STRUCTURE,
        R.REGULATOR: Scope.TERRITORY,
        R.TERRITORY_ADMIN: Scope.TERRITORY,
    },
    Action.EDIT_UNAVAILABILITY: {
        R.EFFECTEUR: Scope.OWN,
        R.DELEGATE: Scope.PRINCIPAL,
        R.STRUCTURE_MANAGER: Scope.STRUCTURE,
    },
    Action.IMPORT_DIRECTORY: {R.TERRITORY_ADMIN: Scope.TERRITORY},
    Action.SEARCH: {R.REGULATOR: Scope.TERRITORY},
    Action.BOOK: {R.REGULATOR: Scope.TERRITORY},
    Action.READ_ORIENTATIONS: {R.REGULATOR: Scope.TERRITORY, R.TERRITORY_ADMIN: Scope.TERRITORY},
    Action.READ_EFFECTEUR_ORIENTATIONS: {
        R.EFFECTEUR: Scope.OWN,
        R.DELEGATE: Scope.PRINCIPAL,
        R.STRUCTURE_MANAGER: Scope.STRUCTURE,
        R.TERRITORY_ADMIN: Scope.TERRITORY,
    },
    Action.MARK_ORIENTATION_DONE: {
        R.EFFECTEUR: Scope.OWN,
        R.DELEGATE: Scope.PRINCIPAL,
        R.STRUCTURE_MANAGER: Scope.STRUCTURE,
    },
    Action.READ_ELIGIBILITY: {R.EFFECTEUR: Scope.OWN, R.TERRITORY_ADMIN: Scope.TERRITORY},
    Action.EDITOR_PUSH: {R.EDITOR: Scope.SELF_EDITOR},
    Action.READ_PARTICIPATION: {
        R.EFFECTEUR: Scope.OWN,
        R.STRUCTURE_MANAGER: Scope.STRUCTURE,
        R.TERRITORY_ADMIN: Scope.TERRITORY,
    },
    Action.RESET_DECLARATIONS: {R.TERRITORY_ADMIN: Scope.TERRITORY},
    Action.DECLARE_STRUCTURE_PARTICIPATION: {
        R.STRUCTURE_MANAGER: Scope.STRUCTURE,
        R.TERRITORY_ADMIN: Scope.TERRITORY,
    },
    # An editor-synced effecteur's info is written by the territory (checked by the handler).
    Action.EDIT_REGULATOR_INFO: {R.EFFECTEUR: Scope.OWN, R.TERRITORY_ADMIN: Scope.TERRITORY},
    Action.REQUEST_DELEGATE: {R.EFFECTEUR: Scope.OWN, R.TERRITORY_ADMIN: Scope.TERRITORY},
    Action.APPROVE_DELEGATE: {R.TERRITORY_ADMIN: Scope.TERRITORY},
    Action.MANAGE_REGULATORS: {R.TERRITORY_ADMIN: Scope.TERRITORY},
}


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    editor_id: str | None = None
    structure_id: str | None = None


@dataclass(frozen=True)
class Target:
    """What an action touches, as far as ownership goes."""

    national_id: str | None = None
    structure_ids: frozenset[str] = field(default_factory=frozenset)
    editor_id: str | None = None
    # Delegates a territory admin approved for this effecteur (stored with the effecteur, not in tokens:
    # an approval or a revocation takes effect at once).
    approved_delegates: frozenset[str] = field(default_factory=frozenset)


def principal_from_claims(claims: Mapping[str, Any] | None) -> Principal:
    """Map verified claims to a principal; a token without a usable role is refused (401)."""
    if not claims:
        raise Unauthenticated("a bearer token is required")
    subject = str(claims.get(CLAIM_SUBJECT) or "")
    if not subject:
        raise Unauthenticated("the token has no subject")
    try:
        role = Role(str(claims.get(CLAIM_ROLE)))
    except ValueError as exc:
        raise Unauthenticated(f"the token carries no known role in claim '{CLAIM_ROLE}'") from exc
    editor_id = claims.get(CLAIM_EDITOR) or None
    if role is Role.EDITOR and not editor_id:
        raise Unauthenticated(f"an editor token must carry '{CLAIM_EDITOR}'")
    return Principal(
        subject=subject,
        role=role,
        editor_id=str(editor_id) if editor_id else None,
        structure_id=str(claims.get(CLAIM_STRUCTURE)) if claims.get(CLAIM_STRUCTURE) else None,
    )


def require_role(principal: Principal, action: Action) -> Scope:
    """The coarse check every protected route runs before its handler: is this role allowed at all?"""
    scope = POLICY[action].get(principal.role)
    if scope is None:
        raise Forbidden(f"role '{principal.role}' may not {action.value.replace('_', ' ')}")
    return scope


def authorize(principal: Principal, action: Action, target: Target) -> None:
    """The full check, once the target is known: role and ownership."""
    scope = require_role(principal, action)
    allowed = {
        Scope.TERRITORY: True,
        Scope.OWN: target.national_id is not None and target.national_id == principal.subject,
        # A delegate's subject is an e-mail address, stored lower-cased: compared without case.
        Scope.PRINCIPAL: principal.subject.lower() in target.approved_delegates,
        Scope.STRUCTURE: principal.structure_id is not None
        and principal.structure_id in target.structure_ids,
        Scope.SELF_EDITOR: target.editor_id is not None and target.editor_id == principal.editor_id,
    }[scope]
    if not allowed:
        raise Forbidden(f"role '{principal.role}' may not {action.value.replace('_', ' ')} for this resource")


# --- eligibility -------------------------------------------------------------------------------------------
# An effecteur's eligibility (`READ_ELIGIBILITY`, above: the effecteur and admins; not delegates, who edit the
# agenda only). A regulator's own shifts: the target's `national_id` is the regulator id the path names,
# which `OWN` compares with the token's subject.
POLICY.update(
    {
        Action.READ_STRUCTURE_ELIGIBILITY: {
            R.STRUCTURE_MANAGER: Scope.STRUCTURE,
            R.TERRITORY_ADMIN: Scope.TERRITORY,
        },
        Action.EXPORT_ELIGIBILITY: {R.TERRITORY_ADMIN: Scope.TERRITORY},
        Action.LOG_SHIFTS: {R.REGULATOR: Scope.OWN},
        Action.READ_SHIFTS: {R.REGULATOR: Scope.OWN, R.TERRITORY_ADMIN: Scope.TERRITORY},
        Action.READ_REGULATION_STATEMENT: {
            R.STRUCTURE_MANAGER: Scope.STRUCTURE,
            R.TERRITORY_ADMIN: Scope.TERRITORY,
        },
    }
)
