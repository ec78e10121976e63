"""The searches sent to editors: exactly the URLs of docs/interop.md, and their limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from sas_common.fhir.queries import (
    MAX_ASSOCIATIONS_PER_QUERY,
    MAX_PRACTITIONERS_PER_QUERY,
    build_slot_query,
    build_sos_query,
)

PARIS = ZoneInfo("Europe/Paris")
FROM = datetime(2026, 11, 23, 10, 30, 15, 123456, tzinfo=PARIS)
TO = FROM + timedelta(hours=48)
BASE = "https://editor.example/fhir/"


def doctors(count: int) -> list[str]:
    return [f"8{n:011d}" for n in range(1, count + 1)]


def test_the_doctor_search_is_the_guide_url() -> None:
    url = build_slot_query(BASE, ["810000000011", "0123456789"], FROM, TO)

    assert url == (
        "https://editor.example/fhir/Slot?_include=Slot:schedule&_include:iterate=Schedule:actor"
        "&start=ge2026-11-23T09:30:15Z&start=le2026-11-25T09:30:15Z"
        "&schedule.actor:Practitioner.identifier="
        "urn:oid:1.2.250.1.71.4.2.1%7C810000000011,urn:oid:1.2.250.1.71.4.2.1%7C0123456789"
        "&status=free"
    )


def test_a_cpts_search_also_includes_the_services() -> None:
    url = build_slot_query(BASE, ["810000000011"], FROM, TO, with_services=True)

    assert url.endswith("&status=free&_include=Slot:service-type-reference")


def test_the_sos_search_is_the_guide_url_with_structure_identifiers() -> None:
    url = build_sos_query("https://editor.example/fhir", ["34173748400020", "392080466300010"], FROM, TO)

    assert url == (
        "https://editor.example/fhir/Schedule?_revinclude=Slot:schedule&_include=Schedule:actor:Location"
        "&_include:iterate=Location:organization"
        "&_has:Slot:schedule:start=ge2026-11-23T09:30:15Z&_has:Slot:schedule:start=le2026-11-25T09:30:15Z"
        "&_has:Slot:schedule:status=free"
        "&actor:Location.organization.identifier="
        "urn:oid:1.2.250.1.71.4.2.2%7C334173748400020,urn:oid:1.2.250.1.71.4.2.2%7C392080466300010"
    )


def searched(url: str, parameter: str) -> list[str]:
    """The identifier values a FHIR server reads from the URL (after percent-decoding)."""
    [listed] = [value for name, value in parse_qsl(urlsplit(url).query) if name == parameter]
    return [item.partition("|")[2] for item in listed.split(",")]


def test_a_server_reads_back_the_identifiers_and_the_window() -> None:
    url = build_slot_query(BASE, doctors(3), FROM, TO)
    params = parse_qsl(urlsplit(url).query)

    assert searched(url, "schedule.actor:Practitioner.identifier") == doctors(3)
    bounds = [value for name, value in params if name == "start"]
    assert [datetime.fromisoformat(value[2:]) for value in bounds] == [
        FROM.replace(microsecond=0),
        TO.replace(microsecond=0),
    ]
    assert all(datetime.fromisoformat(value[2:]).tzinfo == UTC for value in bounds)


def test_up_to_25_doctors_per_request() -> None:
    assert MAX_PRACTITIONERS_PER_QUERY == 25
    url = build_slot_query(BASE, doctors(25), FROM, TO)
    assert searched(url, "schedule.actor:Practitioner.identifier") == doctors(25)
    with pytest.raises(ValueError, match="1 to 25"):
        build_slot_query(BASE, doctors(26), FROM, TO)
    with pytest.raises(ValueError, match="1 to 25"):
        build_slot_query(BASE, [], FROM, TO)


def test_up_to_10_associations_per_request() -> None:
    sirets = [f"{n:014d}" for n in range(1, 12)]
    assert MAX_ASSOCIATIONS_PER_QUERY == 10
    url = build_sos_query(BASE, sirets[:10], FROM, TO)
    assert searched(url, "actor:Location.organization.identifier") == ["3" + siret for siret in sirets[:10]]
    with pytest.raises(ValueError, match="1 to 10"):
        build_sos_query(BASE, sirets, FROM, TO)
    with pytest.raises(ValueError, match="1 to 10"):
        build_sos_query(BASE, [], FROM, TO)


def test_a_repeated_identifier_is_asked_once() -> None:
    url = build_slot_query(BASE, ["810000000011"] * 30, FROM, TO)

    assert url.count("810000000011") == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: build_slot_query(BASE, ["81000000001"], FROM, TO), "not national ids"),
        (lambda: build_slot_query(BASE, ["810000000011|x"], FROM, TO), "not national ids"),
        (lambda: build_slot_query(BASE, "810000000011", FROM, TO), "not one string"),
        (lambda: build_sos_query(BASE, ["3417374840002"], FROM, TO), "not a SIRET"),
        (lambda: build_sos_query(BASE, ["434173748400020"], FROM, TO), "not a SIRET"),
        (lambda: build_slot_query(BASE, ["810000000011"], TO, FROM), "by its start"),
        (lambda: build_slot_query(BASE, ["810000000011"], FROM, FROM), "by its start"),
        (lambda: build_sos_query(BASE, ["34173748400020"], FROM.replace(tzinfo=None), TO), "time zone"),
    ],
)
def test_what_is_sent_is_checked_first(call: Callable[[], str], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        call()
