"""A request body checked at its edges (issue 17): each content type each kind of body reads, the charset
parameter, base64, the depth and integer bounds, numbers that JSON cannot hold, and what each refusal
carries (its stable code, its status, its field; never its message).
"""

from __future__ import annotations

import base64

import pytest

from sas_common.bodies import MAX_DEPTH, MAX_INTEGER_DIGITS, MEDIA_TYPES, check_body, check_media_type
from sas_common.errors import DomainError
from sas_common.routes import Body


def refused(
    kind: Body, content_type: str | None, body: str | None, base64_encoded: bool = False
) -> DomainError:
    with pytest.raises(DomainError) as raised:
        check_body(kind, content_type, body, base64_encoded)
    error = raised.value
    assert isinstance(error.message, str)
    assert error.message
    assert error.rule is None
    return error


def invalid(
    kind: Body, body: str | None, content_type: str = "application/json", encoded: bool = False
) -> None:
    error = refused(kind, content_type if kind is not Body.TEXT else "text/plain", body, encoded)
    assert (error.code, int(error.status), error.field) == ("invalid_input", 400, None)


def unsupported(kind: Body, content_type: str | None) -> None:
    error = refused(kind, content_type, "{}")
    assert (error.code, int(error.status), error.field) == ("unsupported_media_type", 415, "content-type")


def test_the_media_types_of_each_kind_of_body() -> None:
    assert MEDIA_TYPES == {
        Body.JSON: ("application/json",),
        Body.FHIR: ("application/fhir+json", "application/json+fhir", "application/json"),
        Body.TEXT: ("text/plain", "text/csv"),
    }
    for kind, accepted in MEDIA_TYPES.items():
        for media in accepted:
            check_body(kind, media, "{}", False)
            check_body(kind, f" {media.upper()} ; charset=UTF-8", "{}", False)


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        (Body.JSON, "application/fhir+json"),
        (Body.JSON, "text/plain"),
        (Body.FHIR, "text/csv"),
        (Body.TEXT, "application/json"),
        (Body.JSON, None),
        (Body.JSON, ""),
        (Body.JSON, "application/x-www-form-urlencoded"),
    ],
)
def test_a_media_type_the_route_does_not_read(kind: Body, content_type: str | None) -> None:
    unsupported(kind, content_type)


@pytest.mark.parametrize(
    ("content_type", "accepted"),
    [
        ("application/json; charset=utf-8", True),
        ("application/json;charset=UTF-8", True),
        ("application/json; charset=utf8", True),
        ("application/json; charset=UTF8", True),
        ('application/json; charset="utf-8"', True),
        ("application/json; CHARSET=utf-8", True),
        ("application/json;charset=utf-8;version=2", True),
        ("application/json; version=2; charset=utf-8", True),
        ("application/json; charset=latin-1", False),
        ("application/json; charset=iso-8859-1", False),
        ("application/json; charset=utf=8", False),
        ("application/json; charset=Xutf-8", False),
        ("application/json; charset=utf-8X", False),
        ('application/json; charset="latin-1"', False),
        ("application/json; version=2; charset=latin-1", False),
    ],
)
def test_the_charset_is_utf8_if_given(content_type: str, accepted: bool) -> None:
    if accepted:
        check_media_type(Body.JSON, content_type)
        check_body(Body.JSON, content_type, "{}", False)
    else:
        unsupported(Body.JSON, content_type)


def test_no_body_is_checked_for_a_route_without_one() -> None:
    check_body(Body.NONE, None, None, False)
    check_body(Body.NONE, "text/html", "<html>", True)


@pytest.mark.parametrize("kind", [Body.JSON, Body.FHIR, Body.TEXT])
@pytest.mark.parametrize("body", [None, "", "  \n "])
def test_an_empty_body_is_refused(kind: Body, body: str | None) -> None:
    invalid(kind, body)


def test_a_text_body_is_not_read_as_json() -> None:
    check_body(Body.TEXT, "text/csv", "a|b|\nNaN|[[[", False)


@pytest.mark.parametrize(
    ("encoded", "accepted"),
    [
        (base64.b64encode(b'{"a": "b"}').decode(), True),
        (base64.b64encode(b'{"a": "b"}').decode() + "!", False),  # not base64: never ignored
        ("e30=\n", False),
        (base64.b64encode('{"a": "é"}'.encode("latin-1")).decode(), False),  # not UTF-8
    ],
)
def test_a_base64_body_is_strictly_decoded(encoded: str, accepted: bool) -> None:
    if accepted:
        check_body(Body.JSON, "application/json", encoded, True)
    else:
        invalid(Body.JSON, encoded, encoded=True)


def nested(depth: int, inner: str = "1") -> str:
    """`depth` levels of containers, alternating objects and arrays."""
    text = inner
    for level in range(depth):
        text = f'{{"k": {text}}}' if level % 2 else f"[{text}]"
    return text


@pytest.mark.parametrize(
    ("depth", "accepted"), [(MAX_DEPTH - 1, True), (MAX_DEPTH, True), (MAX_DEPTH + 1, False), (5000, False)]
)
def test_the_depth_of_a_body(depth: int, accepted: bool) -> None:
    assert MAX_DEPTH == 32
    if accepted:
        check_body(Body.JSON, "application/json", nested(depth), False)
    else:
        invalid(Body.JSON, nested(depth))


def test_the_depth_inside_objects_is_checked() -> None:
    deep = "1"
    for _ in range(MAX_DEPTH + 1):
        deep = f'{{"a": {deep}}}'
    invalid(Body.JSON, deep)
    invalid(Body.JSON, '{"a": {"b": ' + nested(MAX_DEPTH) + "}}")


@pytest.mark.parametrize(
    ("number", "accepted"),
    [
        ("9" * MAX_INTEGER_DIGITS, True),
        ("-" + "9" * MAX_INTEGER_DIGITS, True),
        ("9" * (MAX_INTEGER_DIGITS + 1), False),
        ("-" + "9" * (MAX_INTEGER_DIGITS + 1), False),
        ("1.5", True),
        ("-2.5e10", True),
        ("1e308", True),
        ("1e999", False),
        ("-1e999", False),
        ("NaN", False),
        ("Infinity", False),
        ("-Infinity", False),
    ],
)
def test_numbers_json_can_hold(number: str, accepted: bool) -> None:
    assert MAX_INTEGER_DIGITS == 30
    body = f'{{"n": {number}, "list": [{number}]}}'
    if accepted:
        check_body(Body.JSON, "application/json", body, False)
        check_body(Body.FHIR, "application/fhir+json", body, False)
    else:
        invalid(Body.JSON, body)


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        ('{"a": "texte", "b": ["é", {"c": "d"}]}', True),
        ('{"a": "\\ud800"}', False),  # a lone surrogate as a value
        ('{"\\udc00": 1}', False),  # as a key
        ('{"a": {"b": ["\\ud800"]}}', False),  # deep inside
        ('"\\ud83d\\ude00"', True),  # a surrogate pair is one character
        ("{", False),
        ("{} {}", False),
    ],
)
def test_strings_utf8_can_hold(body: str, accepted: bool) -> None:
    if accepted:
        check_body(Body.JSON, "application/json", body, False)
    else:
        invalid(Body.JSON, body)
