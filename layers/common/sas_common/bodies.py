"""What a request body must be before anything parses it for real: the content type its route reads,
UTF-8, and — for JSON — a document of bounded shape.

Checked by the entry point (`sas_common.api`) after the caller's role, so a malformed body gets a clear 4xx
naming the problem, never a 5xx: nested 5,000 deep (Python's parser would raise RecursionError), an
integer of thousands of digits (`int()` refuses more than 4,300), a lone surrogate (`"\\ud800"`: no UTF-8
can store it), `NaN` or `1e999`, a body that is not UTF-8, or one of another content type (a form read as
an empty declaration would have saved all defaults).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from sas_common.errors import InvalidInput, UnsupportedMediaType
from sas_common.routes import Body

# The content types each kind of body is read from (parameters aside; a charset, if any, is UTF-8).
MEDIA_TYPES: dict[Body, tuple[str, ...]] = {
    Body.JSON: ("application/json",),
    Body.FHIR: ("application/fhir+json", "application/json+fhir", "application/json"),
    Body.TEXT: ("text/plain", "text/csv"),
}
# Bounds of a JSON body's shape: deeper than any body of the platform (a FHIR Bundle is ~10 deep), and
# integers far longer than any count or identifier sent as a number.
MAX_DEPTH = 32
MAX_INTEGER_DIGITS = 30


def check_body(kind: Body, content_type: str | None, body: str | None, base64_encoded: bool) -> None:
    """Raise `UnsupportedMediaType` (415) or `InvalidInput` (400) naming what is wrong with the body."""
    if kind is Body.NONE:
        return
    check_media_type(kind, content_type)
    text = body_text(body, base64_encoded)
    if not text.strip():
        raise InvalidInput("the body is empty: this route needs one")
    if kind is not Body.TEXT:
        check_json(text)


def check_media_type(kind: Body, content_type: str | None) -> None:
    accepted = MEDIA_TYPES[kind]
    media, _, parameters = (content_type or "").partition(";")
    charset = next(
        (
            value.strip().strip('"')
            for name, _, value in (p.partition("=") for p in parameters.split(";"))
            if name.strip().lower() == "charset"
        ),
        None,
    )
    if media.strip().lower() not in accepted or (
        charset is not None and charset.lower() not in ("utf-8", "utf8")
    ):
        sent = content_type or "a body without Content-Type"
        raise UnsupportedMediaType(
            f"this route reads {' or '.join(accepted)} (UTF-8), not {sent}", field="content-type"
        )


def body_text(body: str | None, base64_encoded: bool) -> str:
    """The body as text: API Gateway passes a body that is not UTF-8 text base64-encoded."""
    if not body:
        return ""
    if not base64_encoded:
        return body
    try:
        return base64.b64decode(body, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("the body is not valid UTF-8 text") from exc


def check_json(text: str) -> None:
    """A JSON document within `MAX_DEPTH` levels, integers within `MAX_INTEGER_DIGITS` digits, finite
    numbers, and strings that UTF-8 can hold."""
    try:
        document = json.loads(text, parse_int=_integer, parse_float=_number, parse_constant=_constant)
    except RecursionError:
        raise InvalidInput(f"the body is nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None
    _check_shape(document)


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"an integer of more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large a number")
    return value


def _constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _check_shape(document: Any) -> None:
    """Depth and strings, walked without recursion."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise InvalidInput(f"the body is nested more than {MAX_DEPTH} levels deep")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, inner in items:
                if isinstance(key, str):
                    _check_text(key)
                pending.append((inner, depth + 1))


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("the body holds a string with a lone surrogate (an invalid \\u escape)") from None
