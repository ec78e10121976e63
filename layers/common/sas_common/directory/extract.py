"""The national directory extract (RPPS "PS_LibreAcces_Personne_activite", docs/interop.md), read line by
line.

UTF-8 text, `|`-separated, one header line, one line per activity, every line ending with `|`. Nothing
here holds more than one line: callers stream the file through `text_lines` and `read_line`.

Which lines are the territory's: the department is `Code Département (structure)` when filled, else the
department of `Code commune (coord. structure)` (INSEE code: 2 characters, 3 overseas, `2A`/`2B` for
Corsica), else that of `Code postal (coord. structure)` (a postal code may cross a department border, so
it comes last). A line of another department, or with no place at all (no department can be told), is
*skipped*; only the territory's lines are checked further, so a defect elsewhere in the national file
never shows in this territory's report (the column count is checked on every line: it locates the columns).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from sas_common.errors import InvalidInput
from sas_common.geocoding.codes import department_of_commune, department_of_postal_code

COLUMNS: tuple[str, ...] = (
    "Type d'identifiant PP",
    "Identifiant PP",
    "Identification nationale PP",
    "Code civilité d'exercice",
    "Libellé civilité d'exercice",
    "Code civilité",
    "Libellé civilité",
    "Nom d'exercice",
    "Prénom d'exercice",
    "Code profession",
    "Libellé profession",
    "Code catégorie professionnelle",
    "Libellé catégorie professionnelle",
    "Code type savoir-faire",
    "Libellé type savoir-faire",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Code mode exercice",
    "Libellé mode exercice",
    "Numéro SIRET site",
    "Numéro SIREN site",
    "Numéro FINESS site",
    "Numéro FINESS établissement juridique",
    "Identifiant technique de la structure",
    "Raison sociale site",
    "Enseigne commerciale site",
    "Complément destinataire (coord. structure)",
    "Complément point géographique (coord. structure)",
    "Numéro Voie (coord. structure)",
    "Indice répétition voie (coord. structure)",
    "Code type de voie (coord. structure)",
    "Libellé type de voie (coord. structure)",
    "Libellé Voie (coord. structure)",
    "Mention distribution (coord. structure)",
    "Bureau cedex (coord. structure)",
    "Code postal (coord. structure)",
    "Code commune (coord. structure)",
    "Libellé commune (coord. structure)",
    "Code pays (coord. structure)",
    "Libellé pays (coord. structure)",
    "Téléphone (coord. structure)",
    "Téléphone 2 (coord. structure)",
    "Télécopie (coord. structure)",
    "Adresse e-mail (coord. structure)",
    "Code Département (structure)",
    "Libellé Département (structure)",
    "Ancien identifiant de la structure",
    "Autorité d'enregistrement",
    "Code secteur d'activité",
    "Libellé secteur d'activité",
    "Code section tableau pharmaciens",
    "Libellé section tableau pharmaciens",
)
SEPARATOR = "|"
# Splitting a well-formed line gives one field per column and an empty one after the trailing `|`.
_FIELDS = len(COLUMNS) + 1
_COLUMN = {name: index for index, name in enumerate(COLUMNS)}

ID_TYPE = _COLUMN["Type d'identifiant PP"]
ID = _COLUMN["Identifiant PP"]
NATIONAL_ID = _COLUMN["Identification nationale PP"]
LAST_NAME = _COLUMN["Nom d'exercice"]
FIRST_NAME = _COLUMN["Prénom d'exercice"]
PROFESSION = _COLUMN["Code profession"]
SPECIALTY = _COLUMN["Code savoir-faire"]
SPECIALTY_LABEL = _COLUMN["Libellé savoir-faire"]
SIRET = _COLUMN["Numéro SIRET site"]
FINESS = _COLUMN["Numéro FINESS site"]
TECHNICAL_ID = _COLUMN["Identifiant technique de la structure"]
SITE_NAME = _COLUMN["Raison sociale site"]
SITE_BRAND = _COLUMN["Enseigne commerciale site"]
RECIPIENT = _COLUMN["Complément destinataire (coord. structure)"]
LOCATION_DETAIL = _COLUMN["Complément point géographique (coord. structure)"]
STREET_NUMBER = _COLUMN["Numéro Voie (coord. structure)"]
STREET_NUMBER_SUFFIX = _COLUMN["Indice répétition voie (coord. structure)"]
STREET_TYPE = _COLUMN["Libellé type de voie (coord. structure)"]
STREET = _COLUMN["Libellé Voie (coord. structure)"]
DISTRIBUTION = _COLUMN["Mention distribution (coord. structure)"]
POSTAL_CODE = _COLUMN["Code postal (coord. structure)"]
COMMUNE_CODE = _COLUMN["Code commune (coord. structure)"]
CITY = _COLUMN["Libellé commune (coord. structure)"]
PHONE = _COLUMN["Téléphone (coord. structure)"]
DEPARTMENT = _COLUMN["Code Département (structure)"]

# `Type d'identifiant PP` → the length of `Identifiant PP` (docs/interop.md, identifiers.py).
ID_DIGITS = {"8": 11, "0": 9}
_NOT_PHONE = re.compile(r"[^\d+]")


def check_header(line: str | None) -> None:
    """The whole import is refused (400) unless the header is exactly the extract's, naming the first
    column that differs."""
    if line is None:
        raise InvalidInput("the extract is empty: a header line is expected", rule="extract_header")
    names = line.lstrip("\ufeff").rstrip("\r\n").split(SEPARATOR)
    ends_with_separator = names[-1] == ""
    if ends_with_separator:
        names.pop()
    for position, expected in enumerate(COLUMNS, start=1):
        found = names[position - 1] if position <= len(names) else None
        if found != expected:
            shown = "nothing" if found is None else repr(found)
            raise InvalidInput(
                f"header column {position} should be {expected!r}, found {shown}",
                field=expected,
                rule="extract_header",
            )
    if len(names) > len(COLUMNS):
        raise InvalidInput(
            f"header column {len(COLUMNS) + 1} is unexpected: {names[len(COLUMNS)]!r}", rule="extract_header"
        )
    if not ends_with_separator:
        raise InvalidInput(
            f"the header should end with {SEPARATOR!r} after {COLUMNS[-1]!r}",
            field=COLUMNS[-1],
            rule="extract_header",
        )


def text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Lines of a UTF-8 byte stream (an S3 body, an upload), decoded as they arrive: one line and one chunk
    in memory at a time. An undecodable byte becomes U+FFFD rather than stopping a 2-million-line file."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        yield from complete
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


@dataclass(frozen=True, slots=True)
class Rejection:
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A line of another department (or with no place): counted, otherwise ignored."""


SKIPPED = Skipped()


@dataclass(frozen=True, slots=True)
class ActivityLine:
    """One activity of one professional at one site, as the territory imports it."""

    number: int
    national_id: str
    last_name: str
    first_name: str
    profession_code: str
    specialty_code: str
    specialty_label: str
    siret: str
    finess: str
    technical_id: str
    site_name: str
    address: str
    postal_code: str
    commune_code: str
    city: str
    phone: str

    @property
    def structure_ids(self) -> tuple[str, ...]:
        return tuple(sid for sid in (self.siret, self.finess, self.technical_id) if sid)


def department_of(fields: list[str]) -> str | None:
    """The line's department: its own column, else from the commune code, else from the postal code."""
    declared = fields[DEPARTMENT].strip().upper()
    if declared:
        return declared.zfill(2) if declared.isdigit() else declared
    return department_of_commune(fields[COMMUNE_CODE]) or department_of_postal_code(fields[POSTAL_CODE])


# A real line is a few hundred characters; a longer one is garbage that would not fit an item either.
MAX_LINE_CHARS = 4096


def read_line(text: str, number: int, departments: Collection[str]) -> ActivityLine | Rejection | Skipped:
    """One data line (`number` 1-based, the header being line 1): the territory's activity, a rejection
    naming what is wrong, or SKIPPED."""
    if len(text) > MAX_LINE_CHARS:
        return Rejection(number, f"the line is longer than {MAX_LINE_CHARS} characters")
    fields = text.rstrip("\r\n").split(SEPARATOR)
    if fields[-1] and len(fields) == len(COLUMNS):
        return Rejection(number, f"the line does not end with {SEPARATOR!r}")
    if len(fields) != _FIELDS or fields[-1]:
        found = len(fields) - (0 if fields[-1] else 1)
        return Rejection(number, f"{len(COLUMNS)} columns expected, {found} found")
    if department_of(fields) not in departments:
        return SKIPPED
    problem = _identity_problem(fields)
    if problem:
        return Rejection(number, problem)
    return ActivityLine(
        number=number,
        national_id=fields[NATIONAL_ID],
        last_name=fields[LAST_NAME].strip(),
        first_name=fields[FIRST_NAME].strip(),
        profession_code=fields[PROFESSION].strip(),
        specialty_code=fields[SPECIALTY].strip(),
        specialty_label=fields[SPECIALTY_LABEL].strip(),
        siret=fields[SIRET].strip(),
        finess=fields[FINESS].strip(),
        technical_id=fields[TECHNICAL_ID].strip(),
        site_name=_first(fields, SITE_BRAND, SITE_NAME, RECIPIENT),
        address=street_address(fields),
        postal_code=fields[POSTAL_CODE].strip(),
        commune_code=fields[COMMUNE_CODE].strip().upper(),
        city=fields[CITY].strip(),
        phone=_NOT_PHONE.sub("", fields[PHONE]),
    )


def _identity_problem(fields: list[str]) -> str | None:
    id_type, raw_id, national_id = fields[ID_TYPE], fields[ID], fields[NATIONAL_ID]
    digits = ID_DIGITS.get(id_type)
    if digits is None:
        return f"{COLUMNS[ID_TYPE]} must be 8 (RPPS) or 0 (ADELI), found {id_type!r}"
    if len(raw_id) != digits or not raw_id.isdigit():
        kind = "RPPS" if id_type == "8" else "ADELI"
        return f"{COLUMNS[ID]} must be {digits} digits for an {kind} id, found {raw_id!r}"
    if national_id != id_type + raw_id:
        return (
            f"{COLUMNS[NATIONAL_ID]} {national_id!r} is not {COLUMNS[ID_TYPE]} + {COLUMNS[ID]}"
            f" ({id_type + raw_id!r})"
        )
    if not fields[LAST_NAME].strip():
        return f"{COLUMNS[LAST_NAME]} is empty"
    return None


def street_address(fields: list[str]) -> str:
    """`12 B rue de la Paix, Bâtiment A, BP 12`: the street line, then the location detail and the postal
    mention when there are; the city when there is no street at all."""
    number = " ".join(p for p in (fields[STREET_NUMBER].strip(), fields[STREET_NUMBER_SUFFIX].strip()) if p)
    street = " ".join(p for p in (number, fields[STREET_TYPE].strip(), fields[STREET].strip()) if p)
    parts = [p for p in (street, fields[LOCATION_DETAIL].strip(), fields[DISTRIBUTION].strip()) if p]
    return ", ".join(parts) or fields[CITY].strip()


def _first(fields: list[str], *columns: int) -> str:
    return next((fields[c].strip() for c in columns if fields[c].strip()), "")
