"""National identifiers of health professionals (docs/interop.md): one definition of their shape."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

# `8` + RPPS (11 digits) or `0` + ADELI (9 digits).
NATIONAL_ID_PATTERN = r"^(8\d{11}|0\d{9})$"
NATIONAL_ID_RE = re.compile(NATIONAL_ID_PATTERN)
NATIONAL_ID_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
STRUCTURE_ID_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"

NationalId = Annotated[
    str, Field(pattern=NATIONAL_ID_PATTERN, description="8 + RPPS, or 0 + ADELI", examples=["810101234567"])
]


# What owns a slot: an effecteur (national id), or an SOS Médecins association for its consultation sites'
# slots, written as its structure identifier `3` + SIRET (sas_common.fhir.codes.siret_idnst). The shapes
# cannot be confused: 12 or 10 digits for a doctor, 15 for an association.
SLOT_OWNER_PATTERN = r"^(8\d{11}|0\d{9}|3\d{14})$"

SlotOwnerId = Annotated[
    str,
    Field(
        pattern=SLOT_OWNER_PATTERN,
        description="national id (8 + RPPS, 0 + ADELI), or an SOS association's 3 + SIRET",
        examples=["810101234567", "334173748400020"],
    ),
]


def is_national_id(value: str) -> bool:
    return NATIONAL_ID_RE.fullmatch(value) is not None
