"""Reading the national directory extract: header, lines, departments, rejections."""

from __future__ import annotations

import pytest

from sas_common.directory.extract import (
    COLUMNS,
    SKIPPED,
    ActivityLine,
    Rejection,
    check_header,
    department_of,
    read_line,
    text_lines,
)
from sas_common.errors import InvalidInput
from sas_local.extract_sample import HEADER, doctor_line, extract_line

TERRITORY = frozenset({"31"})
RPPS = "10003456789"


def read(text: str, departments: frozenset[str] = TERRITORY) -> ActivityLine | Rejection | object:
    return read_line(text, 7, departments)


def test_the_extract_has_52_columns() -> None:
    assert len(COLUMNS) == 52
    assert HEADER.count("|") == 52


def test_a_good_line_is_read() -> None:
    line = read(doctor_line(RPPS, phone="05 61 00 00 01", street_number="12", siret="12345678900011"))
    assert isinstance(line, ActivityLine)
    assert line.number == 7
    assert line.national_id == "8" + RPPS
    assert (line.last_name, line.first_name, line.profession_code) == ("NOM6789", "Camille", "10")
    assert (line.specialty_code, line.specialty_label) == ("SM54", "Médecine Générale")
    assert line.address == "12 rue de la République"
    assert (line.postal_code, line.commune_code, line.city) == ("31000", "31555", "TOULOUSE")
    assert line.phone == "0561000001"
    assert line.structure_ids == ("12345678900011", f"R{RPPS}00")


def test_an_adeli_identifier_is_prefixed_by_0() -> None:
    line = read(doctor_line(RPPS, id_type="0", id="311234567", national_id="0311234567"))
    assert isinstance(line, ActivityLine)
    assert line.national_id == "0311234567"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("8|1|", "52 columns expected, 2 found"),
        (doctor_line(RPPS) + "extra|", "52 columns expected, 53 found"),
        (doctor_line(RPPS)[:-1], "52 columns expected, 51 found"),  # the last column is empty
        (doctor_line(RPPS)[:-1] + "x", "the line does not end with '|'"),
        (doctor_line(RPPS, id_type="9"), "Type d'identifiant PP must be 8 (RPPS) or 0 (ADELI), found '9'"),
        (doctor_line(RPPS, id="1234"), "Identifiant PP must be 11 digits for an RPPS id, found '1234'"),
        (doctor_line(RPPS, id="1000345678X"), "Identifiant PP must be 11 digits for an RPPS id"),
        (
            doctor_line(RPPS, id_type="0", id="3112345678", national_id="03112345678"),
            "Identifiant PP must be 9 digits for an ADELI id",
        ),
        (
            doctor_line(RPPS, national_id="81111111111"),
            "Identification nationale PP '81111111111' is not Type d'identifiant PP + Identifiant PP",
        ),
        (doctor_line(RPPS, national_id=RPPS), "is not Type d'identifiant PP + Identifiant PP"),
        (doctor_line(RPPS, last_name="  "), "Nom d'exercice is empty"),
    ],
)
def test_a_malformed_line_is_rejected_with_its_number_and_reason(text: str, reason: str) -> None:
    outcome = read(text)
    assert isinstance(outcome, Rejection)
    assert outcome.line == 7
    assert reason in outcome.reason


@pytest.mark.parametrize(
    ("values", "department"),
    [
        ({"department": "31", "commune_code": "33063", "postal_code": "33000"}, "31"),  # the column first
        ({"department": "1"}, "01"),
        ({"department": "2a"}, "2A"),
        ({"commune_code": "31555", "postal_code": "33000"}, "31"),  # then the commune code
        ({"commune_code": "2B033"}, "2B"),
        ({"commune_code": "97411"}, "974"),
        ({"postal_code": "31700"}, "31"),  # then the postal code
        ({"postal_code": "20090"}, "2A"),
        ({"postal_code": "20200"}, "2B"),
        ({"postal_code": "97400"}, "974"),
        ({"postal_code": "CEDEX"}, None),
        ({}, None),
    ],
)
def test_the_department_of_a_line(values: dict[str, str], department: str | None) -> None:
    assert department_of(extract_line(**values).split("|")) == department


@pytest.mark.parametrize(
    "text",
    [
        doctor_line(RPPS, department="33"),
        doctor_line(RPPS, department="", commune_code="33063", postal_code="31000"),
        extract_line(id_type="8", id=RPPS, national_id="8" + RPPS, last_name="SANS LIEU"),
        doctor_line(RPPS, department="33", id_type="9"),  # other departments' defects are not reported
    ],
)
def test_lines_of_other_departments_or_without_a_place_are_skipped(text: str) -> None:
    assert read(text) is SKIPPED


def test_a_territory_of_several_departments() -> None:
    assert isinstance(read(doctor_line(RPPS, department="974"), frozenset({"31", "974"})), ActivityLine)


def test_a_line_without_a_street_takes_the_city_as_its_address() -> None:
    line = read(doctor_line(RPPS, street_number="", street_type="", street=""))
    assert isinstance(line, ActivityLine)
    assert line.address == "TOULOUSE"


def test_the_header_must_be_exact() -> None:
    check_header(HEADER)
    check_header("\ufeff" + HEADER + "\r\n")  # a byte order mark and CRLF are tolerated


@pytest.mark.parametrize(
    ("header", "message", "column"),
    [
        (
            HEADER.replace("Nom d'exercice", "Nom"),
            'header column 8 should be "Nom d\'exercice"',
            "Nom d'exercice",
        ),
        (
            HEADER.replace("|Code profession|", "|"),
            "column 10 should be 'Code profession'",
            "Code profession",
        ),
        (
            "Type d'identifiant PP|Identifiant PP|",
            "column 3 should be 'Identification nationale PP', found nothing",
            None,
        ),
        (HEADER[:-1], "should end with '|'", None),
        (HEADER.replace("|", ";"), "header column 1 should be", "Type d'identifiant PP"),
        (None, "the extract is empty", None),
    ],
)
def test_a_wrong_header_names_the_first_differing_column(
    header: str | None, message: str, column: str | None
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_header(header)
    assert message in refused.value.message
    if column:
        assert refused.value.field == column


def test_text_lines_decode_a_byte_stream_across_chunk_boundaries() -> None:
    data = "é|1|\r\nà|2|\nlast".encode()
    chunks = [data[i : i + 1] for i in range(len(data))]  # every multi-byte character split
    assert list(text_lines(chunks)) == ["é|1|\r", "à|2|", "last"]
    assert list(text_lines([b"a\n", b"", b"b\n"])) == ["a", "b"]
    assert list(text_lines([b"\xff|x\n"])) == ["\ufffd|x"]
