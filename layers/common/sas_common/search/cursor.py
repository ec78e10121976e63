"""A search's continuation cursor: where the next page starts, signed so that it cannot be forged.

`<payload>.<mac>`, both base64url: the payload is the position in the search's ordered slots, the instant
the search was first made (every page is computed as of then, so pages neither overlap nor skip) and a
digest of the criteria (a cursor continues only the search it came from); the MAC is an HMAC-SHA256 of the
payload with the territory's key. Anything else — malformed, tampered, another search's — is a 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from sas_common.errors import InvalidInput

MAC_BYTES = 16


@dataclass(frozen=True)
class Position:
    offset: int  # candidates of the ordered list already consumed
    now: datetime  # the search's instant


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def digest(criteria: str) -> str:
    return hashlib.sha256(criteria.encode()).hexdigest()[:16]


def encode(position: Position, criteria: str, key: bytes) -> str:
    payload = json.dumps(
        {"o": position.offset, "n": position.now.isoformat(), "d": digest(criteria)}, separators=(",", ":")
    ).encode()
    return f"{_b64(payload)}.{_b64(_mac(payload, key))}"


def decode(cursor: str, criteria: str, key: bytes) -> Position:
    """The position a cursor names; InvalidInput (`cursor`) unless it is one this search made."""
    payload_text, _, mac_text = cursor.partition(".")
    try:
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except (binascii.Error, ValueError):
        raise _bad("is not a cursor this search gave") from None
    if not hmac.compare_digest(mac, _mac(payload, key)):
        raise _bad("is not a cursor this platform signed")
    try:
        fields = json.loads(payload)
        position = Position(int(fields["o"]), datetime.fromisoformat(fields["n"]))
        if fields["d"] != digest(criteria):
            raise _bad("continues another search: send the same criteria as its first page")
    except (ValueError, KeyError, TypeError):
        raise _bad("is not a cursor this search gave") from None
    if position.offset < 0 or position.now.tzinfo is None:
        raise _bad("is not a cursor this search gave")
    return position


def _mac(payload: bytes, key: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:MAC_BYTES]


def _bad(why: str) -> InvalidInput:
    return InvalidInput(f"the cursor {why}", field="cursor")
