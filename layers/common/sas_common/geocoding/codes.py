"""French commune (INSEE) and postal codes: the department each one lies in."""

from __future__ import annotations

import re
import unicodedata

_COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_POSTAL_CODE = re.compile(r"^\d{5}$")
# Corsica's postal codes 20000-20199 are Corse-du-Sud (2A), 20200-20699 Haute-Corse (2B).
_SOUTH_CORSICA_BELOW = 20200


def _overseas(code: str) -> bool:
    return code.startswith(("97", "98"))


def department_of_commune(code: str) -> str | None:
    """`31555` → `31`, `2A004` → `2A`, `97411` → `974`; None when it is no commune code."""
    code = code.strip().upper()
    if not _COMMUNE_CODE.fullmatch(code):
        return None
    return code[:3] if _overseas(code) else code[:2]


def department_of_postal_code(code: str) -> str | None:
    """`31000` → `31`, `20090` → `2A`, `97400` → `974`; None when it is no postal code. A postal code can
    cross a department border (rarely): the commune code, when known, is the better source."""
    code = code.strip()
    if not _POSTAL_CODE.fullmatch(code):
        return None
    if code.startswith("20"):
        return "2A" if int(code) < _SOUTH_CORSICA_BELOW else "2B"
    return code[:3] if _overseas(code) else code[:2]


def normalise_name(name: str) -> str:
    """A commune name as every source can agree on: upper-case ASCII words, `Saint(e)` as `St(e)`.
    `Saint-Jean`, `ST JEAN` and `saint jean` all give `ST JEAN`."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = re.sub(r"[^A-Z0-9]+", " ", ascii_name).strip()
    return re.sub(r"\bSAINTE\b", "STE", re.sub(r"\bSAINT\b", "ST", words))
