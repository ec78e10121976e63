"""Code systems, extension URLs and identifier types of the ANS SAS guide (docs/interop.md), once.

The national and structure identifier systems are in `sas_common.identifiers`.
"""

from __future__ import annotations

import re
from enum import StrEnum

# SAS technical id of a regulator without a national id.
SAS_TECHNICAL_ID_SYSTEM = "urn:oid:1.2.250.1.213.3.6"
# Identifier types (IDNPS, IDNST, INTRN): the system the guide names, and the French core guide's newer one
# (editors send both).
IDENTIFIER_TYPE_SYSTEM = "http://interopsante.org/fhir/CodeSystem/fr-v2-0203"
IDENTIFIER_TYPE_SYSTEMS = frozenset(
    {IDENTIFIER_TYPE_SYSTEM, "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"}
)
NATIONAL_ID_TYPE = "IDNPS"

SLOT_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R314-TypeCreneau/FHIR/TRE-R314-TypeCreneau"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
SPECIALTY_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
APPOINTMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"
STRUCTURE_CATEGORY_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R66-CategorieEtablissement/FHIR/TRE-R66-CategorieEtablissement"
)
CPTS_CATEGORY = "604"
# The R5 Slot.serviceType backport through which a CPTS slot references its HealthcareService.
SERVICE_TYPE_REFERENCE_EXTENSION = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Slot.serviceType"
APPOINTMENT_OPERATOR_EXTENSION = "http://interopsante.org/fhir/StructureDefinition/FrAppointmentOperator"


class SlotVisibility(StrEnum):
    """Who may see a slot (TRE_R314-TypeCreneau, in `Slot.meta.security`)."""

    PUBLIC = "PUBLIC"
    PRO = "PRO"
    SNP = "SNP"
    CPTS = "CPTS"


class ConsultationCode(StrEnum):
    """Where the patient is seen (ActCode, in `Slot.serviceType.coding`)."""

    AMB = "AMB"  # at the practice
    VR = "VR"  # teleconsultation
    HH = "HH"  # home visit


class AppointmentType(StrEnum):
    """With or without appointment (v2-0276, in `Slot.appointmentType`)."""

    ROUTINE = "ROUTINE"  # with an appointment
    WALKIN = "WALKIN"  # without


# A structure identifier (IDNST, system urn:oid:1.2.250.1.71.4.2.2) is its number behind a one-digit kind:
# `1` + FINESS, `3` + SIRET (e.g. 334173748400020 in the guide's SOS example), `4` + a practice's RPPS rank.
SIRET_IDNST_PREFIX = "3"
_SIRET = re.compile(r"^\d{14}$")


def siret_of(structure_id: str) -> str | None:
    """The 14-digit SIRET a structure identifier holds (`3` + SIRET, or a bare SIRET), else None."""
    if _SIRET.fullmatch(structure_id):
        return structure_id
    if structure_id.startswith(SIRET_IDNST_PREFIX) and _SIRET.fullmatch(structure_id[1:]):
        return structure_id[1:]
    return None


def siret_idnst(siret: str) -> str:
    """How a SIRET is written as a structure identifier; ValueError if it is not one."""
    number = siret_of(siret)
    if number is None:
        raise ValueError(f"{siret!r} is not a SIRET (14 digits) nor `3` + SIRET")
    return SIRET_IDNST_PREFIX + number
