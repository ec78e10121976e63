"""The national directory extract read at its edges (issue 17): Windows line ends, Corsican departments,
the site's name and brand, every part of an address, phone numbers, the order of a site's identifiers, the
header's errors by code, rule and field, and the longest line.
"""

from __future__ import annotations

import pytest

from sas_common.directory.extract import (
    COLUMNS,
    ID_DIGITS,
    MAX_LINE_CHARS,
    SEPARATOR,
    SKIPPED,
    ActivityLine,
    Rejection,
    check_header,
    department_of,
    read_line,
    text_lines,
)
from sas_common.errors import InvalidInput
from sas_local.extract_sample import doctor_line, extract_line

RPPS = "10003456789"
TERRITORY = frozenset({"31", "2A", "2B"})
# The header as the national file writes it: column names in this order, each followed by `|`.
OFFICIAL_HEADER = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"
    "Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|"
    "Code profession|Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|"
    "Code type savoir-faire|Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|"
    "Code mode exercice|Libellé mode exercice|Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|"
    "Numéro FINESS établissement juridique|Identifiant technique de la structure|Raison sociale site|"
    "Enseigne commerciale site|Complément destinataire (coord. structure)|"
    "Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|"
    "Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|"
    "Mention distribution (coord. structure)|Bureau cedex (coord. structure)|Code postal (coord. structure)|"
    "Code commune (coord. structure)|Libellé commune (coord. structure)|Code pays (coord. structure)|"
    "Libellé pays (coord. structure)|Téléphone (coord. structure)|Téléphone 2 (coord. structure)|"
    "Télécopie (coord. structure)|Adresse e-mail (coord. structure)|Code Département (structure)|"
    "Libellé Département (structure)|Ancien identifiant de la structure|Autorité d'enregistrement|"
    "Code secteur d'activité|Libellé secteur d'activité|Code section tableau pharmaciens|"
    "Libellé section tableau pharmaciens|"
)


def line_with(**values: str) -> str:
    """A good line of doctor RPPS with these columns (by full name) changed."""
    return doctor_line(RPPS, department="31", site=0, **values)


def read(text: str) -> ActivityLine:
    line = read_line(text, 7, TERRITORY)
    assert isinstance(line, ActivityLine), line
    return line


def rejected(text: str) -> Rejection:
    line = read_line(text, 7, TERRITORY)
    assert isinstance(line, Rejection), line
    assert line.line == 7
    assert line.reason
    return line


# --- the header ---------------------------------------------------------------------------------------


def test_the_official_header_is_accepted_as_the_file_writes_it() -> None:
    check_header(OFFICIAL_HEADER)
    check_header(OFFICIAL_HEADER + "\r\n")
    check_header("\ufeff" + OFFICIAL_HEADER + "\n")
    assert SEPARATOR == "|"
    assert SEPARATOR.join(COLUMNS) + SEPARATOR == OFFICIAL_HEADER


def header_error(line: str | None) -> InvalidInput:
    with pytest.raises(InvalidInput) as raised:
        check_header(line)
    error = raised.value
    assert (error.code, error.status, error.rule) == ("invalid_input", 400, "extract_header")
    assert error.message
    return error


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (None, None),  # an empty extract
        ("", COLUMNS[0]),
        ("X" + OFFICIAL_HEADER, COLUMNS[0]),
        (OFFICIAL_HEADER.replace("Nom d'exercice", "Nom"), "Nom d'exercice"),
        (OFFICIAL_HEADER[: -len("Libellé section tableau pharmaciens|")], COLUMNS[-1]),  # a column missing
        (OFFICIAL_HEADER[:-1], COLUMNS[-1]),  # no final `|`
        (OFFICIAL_HEADER[:-1] + "\r\n", COLUMNS[-1]),
        (OFFICIAL_HEADER + "Extra|", None),  # a column too many
        (OFFICIAL_HEADER + "X", None),
        (OFFICIAL_HEADER + " ", None),
        (OFFICIAL_HEADER + "\t\n", None),
    ],
)
def test_a_header_error_names_its_rule_and_the_column(line: str | None, field: str | None) -> None:
    assert header_error(line).field == field


def test_the_last_column_is_named_when_the_final_separator_is_missing() -> None:
    assert header_error(OFFICIAL_HEADER[:-1]).field == "Libellé section tableau pharmaciens"


# --- a line's ends and length --------------------------------------------------------------------------


@pytest.mark.parametrize("end", ["", "\n", "\r\n", "\r"])
def test_a_line_may_end_as_windows_writes_it(end: str) -> None:
    line = read(doctor_line(RPPS) + end)
    assert line.national_id == "8" + RPPS


def test_a_windows_extract_is_read_line_by_line() -> None:
    chunks = [(OFFICIAL_HEADER + "\r\n").encode(), (doctor_line(RPPS) + "\r\n").encode()]
    header, first = list(text_lines(chunks))
    check_header(header)
    assert read(first).last_name == "NOM6789"


@pytest.mark.parametrize(
    "text",
    [
        doctor_line(RPPS) + " ",  # a space after the last `|`
        doctor_line(RPPS) + "\t",
        doctor_line(RPPS) + "X",
        "\r\n" + doctor_line(RPPS)[:-1],
        doctor_line(RPPS)[:-1],
    ],
)
def test_anything_after_the_last_separator_is_refused(text: str) -> None:
    rejected(text)


def test_the_last_column_may_hold_a_value() -> None:
    line = read(line_with(**{"Libellé section tableau pharmaciens": "Section A"}))
    assert line.national_id == "8" + RPPS


def padded(length: int) -> str:
    line = doctor_line(RPPS)
    filler = length - len(line)
    return line_with(**{"Libellé pays (coord. structure)": "x" * filler})


@pytest.mark.parametrize(
    ("length", "accepted"), [(MAX_LINE_CHARS - 1, True), (MAX_LINE_CHARS, True), (MAX_LINE_CHARS + 1, False)]
)
def test_the_longest_line(length: int, accepted: bool) -> None:
    assert MAX_LINE_CHARS == 4096
    text = padded(length)
    assert len(text) == length
    if accepted:
        read(text)
    else:
        rejected(text)


def test_an_undecodable_last_byte_is_replaced_not_dropped() -> None:
    assert list(text_lines([b"a\nb\xc3"])) == ["a", "b\ufffd"]
    assert list(text_lines([b"caf\xc3", b"\xa9\n"])) == ["café"]


# --- identifiers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_type", "raw", "accepted"),
    [
        ("8", "1" * 11, True),
        ("8", "1" * 10, False),
        ("8", "1" * 12, False),
        ("0", "3" * 9, True),
        ("0", "3" * 8, False),
        ("0", "3" * 10, False),
        ("8", "1" * 10 + "A", False),
        ("9", "1" * 11, False),
    ],
)
def test_identifier_lengths(id_type: str, raw: str, accepted: bool) -> None:
    assert ID_DIGITS == {"8": 11, "0": 9}
    text = doctor_line(RPPS, id_type=id_type, id=raw, national_id=id_type + raw)
    if accepted:
        assert read(text).national_id == id_type + raw
    else:
        rejected(text)


def test_a_line_without_last_name_is_refused() -> None:
    rejected(doctor_line(RPPS, last_name="  "))


def test_siret_before_finess_before_the_technical_id() -> None:
    line = read(doctor_line(RPPS, siret=" 12345678900011 ", finess=" 310000001 ", technical_id=" R1 "))
    assert line.structure_ids == ("12345678900011", "310000001", "R1")
    assert (line.siret, line.finess, line.technical_id) == ("12345678900011", "310000001", "R1")
    assert read(doctor_line(RPPS, finess="310000001", technical_id="")).structure_ids == ("310000001",)


# --- departments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("department", "commune", "postal", "found"),
    [
        ("2A", "", "", "2A"),
        ("2b", "", "", "2B"),
        ("a", "", "", "A"),
        ("1", "", "", "01"),
        ("974", "", "", "974"),
        ("", "2A004", "", "2A"),
        ("", "2b033", "", "2B"),
        ("", "", "20090", "2A"),
        ("", "", "20200", "2B"),
        ("", "", "", None),
    ],
)
def test_the_department_of_a_line(department: str, commune: str, postal: str, found: str | None) -> None:
    fields = extract_line(department=department, commune_code=commune, postal_code=postal).split(SEPARATOR)
    assert department_of(fields) == found


@pytest.mark.parametrize(("commune", "kept"), [("2a004", "2A004"), ("2B033", "2B033"), (" 31555 ", "31555")])
def test_a_corsican_commune_code_is_kept_upper_case(commune: str, kept: str) -> None:
    line = read(doctor_line(RPPS, department="", commune_code=commune, postal_code=""))
    assert line.commune_code == kept


def test_a_line_of_another_department_is_skipped() -> None:
    assert read_line(doctor_line(RPPS, department="33"), 7, TERRITORY) is SKIPPED


# --- the site: its name, its address, its phone -----------------------------------------------------------


@pytest.mark.parametrize(
    ("brand", "name", "recipient", "site_name"),
    [
        ("Enseigne", "Raison sociale", "Destinataire", "Enseigne"),
        ("  ", "Raison sociale", "Destinataire", "Raison sociale"),
        ("", "", " Destinataire ", "Destinataire"),
        ("", "", "", ""),
    ],
)
def test_the_site_name_is_the_brand_else_the_name_else_the_recipient(
    brand: str, name: str, recipient: str, site_name: str
) -> None:
    line = read(
        line_with(
            site_name=name,
            **{"Enseigne commerciale site": brand, "Complément destinataire (coord. structure)": recipient},
        )
    )
    assert line.site_name == site_name


def address(**parts: str) -> str:
    values = {
        "street_number": "",
        "street_type": "",
        "street": "",
        "city": "TOULOUSE",
        **{
            name: value
            for name, value in parts.items()
            if name in ("street_number", "street_type", "street", "city")
        },
        "Indice répétition voie (coord. structure)": parts.get("suffix", ""),
        "Complément point géographique (coord. structure)": parts.get("detail", ""),
        "Mention distribution (coord. structure)": parts.get("distribution", ""),
    }
    return read(line_with(**values)).address


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (
            {"street_number": "12", "suffix": "B", "street_type": "rue", "street": "de la Paix"},
            "12 B rue de la Paix",
        ),
        ({"street_number": " 12 ", "suffix": " bis ", "street": "Grande Rue"}, "12 bis Grande Rue"),
        ({"suffix": "B", "street": "Grande Rue"}, "B Grande Rue"),
        (
            {
                "street_number": "12",
                "street_type": "rue",
                "street": "de la Paix",
                "detail": "Bâtiment A",
                "distribution": "BP 12",
            },
            "12 rue de la Paix, Bâtiment A, BP 12",
        ),
        ({"street": "Place du Capitole", "distribution": "BP 7"}, "Place du Capitole, BP 7"),
        ({"detail": "Résidence des Pins"}, "Résidence des Pins"),
        ({"detail": "Résidence des Pins", "distribution": "CS 1"}, "Résidence des Pins, CS 1"),
        ({}, "TOULOUSE"),  # no street at all: the city
        ({"city": " MURET "}, "MURET"),
    ],
)
def test_every_part_of_the_street_address(parts: dict[str, str], expected: str) -> None:
    assert address(**parts) == expected


@pytest.mark.parametrize(
    ("phone", "kept"),
    [
        ("05 61 00 00 01", "0561000001"),
        ("+33 5 61 00 00 01", "+33561000001"),
        ("+33 (0)5.61-00-00-01", "+330561000001"),
        ("05.61.00.00.01", "0561000001"),
        ("", ""),
        ("tél. 0561", "0561"),
    ],
)
def test_a_phone_keeps_its_digits_and_a_leading_plus(phone: str, kept: str) -> None:
    assert read(doctor_line(RPPS, phone=phone)).phone == kept
