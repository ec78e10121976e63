"""Synthetic national directory extracts (RPPS format, docs/interop.md) for the tests, the benchmark and
demos.

`extract_line` writes one line from a few named values (every other column empty); `synthetic_extract`
writes a whole file of doctors spread over departments, several activity lines each, sorted by identifier
as the national file is.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from sas_common.directory.extract import COLUMNS, SEPARATOR

HEADER = SEPARATOR.join(COLUMNS) + SEPARATOR

# A few real communes per department: (commune code, postal code, city).
COMMUNES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "31": (("31555", "31000", "TOULOUSE"), ("31069", "31700", "BLAGNAC"), ("31395", "31600", "MURET")),
    "33": (("33063", "33000", "BORDEAUX"), ("33318", "33600", "PESSAC")),
    "69": (("69123", "69003", "LYON"), ("69266", "69100", "VILLEURBANNE")),
    "75": (("75056", "75011", "PARIS"), ("75056", "75015", "PARIS")),
    "13": (("13055", "13001", "MARSEILLE"), ("13001", "13100", "AIX-EN-PROVENCE")),
    "59": (("59350", "59000", "LILLE"), ("59512", "59100", "ROUBAIX")),
    "974": (("97411", "97400", "SAINT-DENIS"),),
}
SPECIALTIES = (("SM54", "Médecine Générale"), ("SM26", "Pédiatrie"), ("SM07", "Cardiologie"))


def extract_line(**values: str) -> str:
    """One line: `values` by column name (`Nom d'exercice`…) or by the short names below."""
    fields = dict.fromkeys(COLUMNS, "")
    for name, value in values.items():
        column = SHORT_NAMES.get(name, name)
        if column not in fields:
            raise KeyError(f"no column {name!r}")
        fields[column] = value
    return SEPARATOR.join(fields[column] for column in COLUMNS) + SEPARATOR


SHORT_NAMES = {
    "id_type": "Type d'identifiant PP",
    "id": "Identifiant PP",
    "national_id": "Identification nationale PP",
    "last_name": "Nom d'exercice",
    "first_name": "Prénom d'exercice",
    "profession": "Code profession",
    "specialty": "Code savoir-faire",
    "specialty_label": "Libellé savoir-faire",
    "siret": "Numéro SIRET site",
    "finess": "Numéro FINESS site",
    "technical_id": "Identifiant technique de la structure",
    "site_name": "Raison sociale site",
    "street_number": "Numéro Voie (coord. structure)",
    "street_type": "Libellé type de voie (coord. structure)",
    "street": "Libellé Voie (coord. structure)",
    "postal_code": "Code postal (coord. structure)",
    "commune_code": "Code commune (coord. structure)",
    "city": "Libellé commune (coord. structure)",
    "phone": "Téléphone (coord. structure)",
    "department": "Code Département (structure)",
}


def doctor_line(rpps: str, *, department: str = "31", site: int = 0, **values: str) -> str:
    """An activity line of RPPS doctor `rpps` (11 digits) at their `site`-th site in `department`."""
    communes = COMMUNES.get(department) or COMMUNES["31"]
    commune_code, postal_code, city = communes[site % len(communes)]
    defaults = {
        "id_type": "8",
        "id": rpps,
        "national_id": "8" + rpps,
        "last_name": f"NOM{rpps[-4:]}",
        "first_name": "Camille",
        "profession": "10",
        "specialty": "SM54",
        "specialty_label": "Médecine Générale",
        "technical_id": f"R{rpps}{site:02d}",
        "site_name": f"Cabinet {site}",
        "street_number": str(1 + site),
        "street_type": "rue",
        "street": "de la République",
        "postal_code": postal_code,
        "commune_code": commune_code,
        "city": city,
        "phone": f"05{rpps[-8:]}",
        "department": department,
    }
    return extract_line(**{**defaults, **values})


def synthetic_extract(
    doctors: int, departments: Sequence[str] = tuple(COMMUNES), *, seed: int = 1, max_sites: int = 3
) -> Iterator[str]:
    """The header, then `doctors` doctors in random departments with 1 to `max_sites` activity lines each,
    sorted by identifier. Deterministic for a given seed."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    yield HEADER
    for number in range(doctors):
        rpps = f"{10_000_000_000 + number:011d}"
        department = rng.choice(departments)
        specialty, label = rng.choice(SPECIALTIES)
        for site in range(rng.randint(1, max_sites)):
            yield doctor_line(
                rpps, department=department, site=site, specialty=specialty, specialty_label=label
            )
