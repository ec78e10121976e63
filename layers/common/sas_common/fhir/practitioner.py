"""The Practitioner the platform sends a level-2 editor for a regulator account (docs/interop.md, "INT_R02"),
built as the guide writes it and read back through the FHIR models before it is sent (strict in what we
send): the regulator's identifier (national id, type IDNPS, or the SAS technical id, type INTRN),
`active`, `name`, the e-mail as `telecom`, and `meta.source` = the platform."""

from __future__ import annotations

from typing import Any

from sas_common.fhir.booking import operator_identifier
from sas_common.fhir.codes import SAS_TECHNICAL_ID_SYSTEM
from sas_common.fhir.resources import MODELS, read_resource

# Who the resource comes from: the SAS platform (the system of its technical ids).
PLATFORM_SOURCE = SAS_TECHNICAL_ID_SYSTEM


def regulator_practitioner(
    identifier: str,
    *,
    family_name: str,
    given_name: str | None,
    email: str | None,
    active: bool,
) -> dict[str, Any]:
    """The regulator as a Practitioner; `identifier` is their national id or SAS technical id."""
    name: dict[str, Any] = {"family": family_name}
    if given_name:
        name["given"] = [given_name]
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "meta": {"source": PLATFORM_SOURCE},
        "identifier": [operator_identifier(identifier)],
        "active": active,
        "name": [name],
    }
    if email:
        practitioner["telecom"] = [{"system": "email", "value": email}]
    read_resource(practitioner, MODELS["Practitioner"])
    return practitioner


def identifier_search(identifier: str) -> str:
    """The conditional update's search value, `<system>|<value>` (`PUT [base]/Practitioner?identifier=`)."""
    typed = operator_identifier(identifier)
    return f"{typed['system']}|{typed['value']}"
