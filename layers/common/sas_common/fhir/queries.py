"""The searches the platform sends editors, exactly as the guide writes them (docs/interop.md).

Identifiers are `system|value` with `|` URL-encoded (as in the guide's examples), joined by commas (FHIR's
"or"); instants are sent in UTC (`Z`), to the second, so nothing in them needs encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import quote

from sas_common.fhir.codes import siret_idnst
from sas_common.identifiers import NATIONAL_ID_SYSTEM, STRUCTURE_ID_SYSTEM, is_national_id

MAX_PRACTITIONERS_PER_QUERY = 25
MAX_ASSOCIATIONS_PER_QUERY = 10
_INSTANT = "%Y-%m-%dT%H:%M:%SZ"


def build_slot_query(
    base_url: str,
    national_ids: Sequence[str],
    start: datetime,
    end: datetime,
    *,
    with_services: bool = False,
) -> str:
    """Flows INT_R01/INT_R04: the free slots of 1 to 25 doctors starting in [start, end].

    `with_services` adds `_include=Slot:service-type-reference`, for CPTS editors (their HealthcareServices).
    """
    ids = _distinct(national_ids, MAX_PRACTITIONERS_PER_QUERY, "national ids")
    invalid = [value for value in ids if not is_national_id(value)]
    if invalid:
        raise ValueError(f"not national ids (8 + RPPS or 0 + ADELI): {', '.join(invalid)}")
    since, until = _window(start, end)
    parameters = [
        ("_include", "Slot:schedule"),
        ("_include:iterate", "Schedule:actor"),
        ("start", "ge" + since),
        ("start", "le" + until),
        ("schedule.actor:Practitioner.identifier", _identifiers(NATIONAL_ID_SYSTEM, ids)),
        ("status", "free"),
    ]
    if with_services:
        parameters.append(("_include", "Slot:service-type-reference"))
    return _url(base_url, "Slot", parameters)


def build_sos_query(base_url: str, sirets: Sequence[str], start: datetime, end: datetime) -> str:
    """SOS Médecins variant: the consultation sites of 1 to 10 associations and their free slots starting
    in [start, end]. A SIRET is sent as its structure identifier, `3` + SIRET."""
    structure_ids = [siret_idnst(siret) for siret in _distinct(sirets, MAX_ASSOCIATIONS_PER_QUERY, "SIRETs")]
    since, until = _window(start, end)
    return _url(
        base_url,
        "Schedule",
        [
            ("_revinclude", "Slot:schedule"),
            ("_include", "Schedule:actor:Location"),
            ("_include:iterate", "Location:organization"),
            ("_has:Slot:schedule:start", "ge" + since),
            ("_has:Slot:schedule:start", "le" + until),
            ("_has:Slot:schedule:status", "free"),
            ("actor:Location.organization.identifier", _identifiers(STRUCTURE_ID_SYSTEM, structure_ids)),
        ],
    )


def _distinct(values: Sequence[str], limit: int, what: str) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"{what}: a sequence of strings, not one string")
    distinct = list(dict.fromkeys(values))
    if not 1 <= len(distinct) <= limit:
        raise ValueError(f"{what}: 1 to {limit} per request, got {len(distinct)}")
    return distinct


def _window(start: datetime, end: datetime) -> tuple[str, str]:
    """The window's bounds as FHIR instants, UTC, to the second."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the window's bounds must carry their time zone")
    if end <= start:
        raise ValueError(f"the window ends ({end.isoformat()}) by its start ({start.isoformat()})")
    return start.astimezone(UTC).strftime(_INSTANT), end.astimezone(UTC).strftime(_INSTANT)


def _identifiers(system: str, values: Sequence[str]) -> str:
    return ",".join(f"{system}|{value}" for value in values)


def _url(base_url: str, resource_type: str, parameters: Sequence[tuple[str, str]]) -> str:
    query = "&".join(f"{name}={quote(value, safe=':,')}" for name, value in parameters)
    return f"{base_url.rstrip('/')}/{resource_type}?{query}"
