"""Participation declaration rules (docs/domain.md), one row per case."""

from __future__ import annotations

from typing import Any

import pytest

from sas_common.errors import RuleViolation
from sas_common.participation.rules import (
    Declaration,
    Rule,
    StructureDeclaration,
    check,
    check_structure,
    editor_synced,
    manual_agenda_allowed,
    polled_editors,
    shown_editors,
)

EDITORS = {"doctolib", "maiia"}
PLACES = {"p1", "p2"}

SOFTWARE = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": True,
    "editors": ["doctolib"],
}
MANUAL = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": False,
    "honour_two_hours": True,
}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(SOFTWARE, id="individual with an interfaced editor"),
        pytest.param(MANUAL, id="individual, no software, honour declared"),
        pytest.param(
            {**SOFTWARE, "refuses_editor_slots": True, "honour_two_hours": True}, id="refuses editor slots"
        ),
        pytest.param({**MANUAL, "modality": "msp", "structure_name": "MSP des Carmes"}, id="msp"),
        pytest.param(
            {
                **MANUAL,
                "modality": "cpts",
                "structure_name": "CPTS Toulouse Nord",
                "structure_place_ids": ["p2"],
            },
            id="cpts with its places",
        ),
        pytest.param(
            {"participates": True, "modality": "sos_medecins", "structure_name": "SOS Médecins 31"}, id="sos"
        ),
        pytest.param({}, id="nothing ticked (not participating)"),
        pytest.param({"refuses_editor_slots": True}, id="not participating and refusing display"),
        pytest.param({**SOFTWARE, "forfait_reorientation": True}, id="forfait reorientation is independent"),
    ],
)
def test_valid_declarations(body: dict[str, Any]) -> None:
    check(Declaration.model_validate(body), territory_editors=EDITORS, place_ids=PLACES)


@pytest.mark.parametrize(
    ("body", "rule", "field"),
    [
        ({"participates": True}, Rule.MODALITY_REQUIRED, "modality"),
        ({**MANUAL, "modality": "msp"}, Rule.STRUCTURE_REQUIRED, "structure_name"),
        ({**MANUAL, "modality": "sos_medecins"}, Rule.STRUCTURE_REQUIRED, "structure_name"),
        (
            {**MANUAL, "modality": "cpts", "structure_name": "C"},
            Rule.CPTS_PLACES_REQUIRED,
            "structure_place_ids",
        ),
        (
            {**MANUAL, "modality": "cpts", "structure_name": "C", "structure_place_ids": ["p9"]},
            Rule.UNKNOWN_PLACE,
            "structure_place_ids",
        ),
        (
            {**MANUAL, "uses_interfaced_software": None},
            Rule.SOFTWARE_ANSWER_REQUIRED,
            "uses_interfaced_software",
        ),
        ({**SOFTWARE, "editors": []}, Rule.EDITORS_REQUIRED, "editors"),
        ({**SOFTWARE, "editors": ["doctolib", "unknown-soft"]}, Rule.UNKNOWN_EDITOR, "editors"),
        ({**MANUAL, "editors": ["doctolib"]}, Rule.EDITORS_WITHOUT_SOFTWARE, "editors"),
        ({**MANUAL, "honour_two_hours": False}, Rule.HONOUR_REQUIRED_WITHOUT_SOFTWARE, "honour_two_hours"),
        ({**MANUAL, "refuses_editor_slots": True}, Rule.REFUSAL_NEEDS_SOFTWARE, "refuses_editor_slots"),
        ({**SOFTWARE, "refuses_editor_slots": True}, Rule.HONOUR_REQUIRED_WHEN_REFUSING, "honour_two_hours"),
        (
            {
                "participates": True,
                "modality": "sos_medecins",
                "structure_name": "S",
                "uses_interfaced_software": True,
            },
            Rule.SOS_NO_SOFTWARE_QUESTION,
            "uses_interfaced_software",
        ),
    ],
)
def test_invalid_declarations_name_the_broken_rule(body: dict[str, Any], rule: Rule, field: str) -> None:
    with pytest.raises(RuleViolation) as raised:
        check(Declaration.model_validate(body), territory_editors=EDITORS, place_ids=PLACES)
    assert raised.value.rule == rule.value
    assert raised.value.field == field
    assert raised.value.status == 422


@pytest.mark.parametrize(
    ("body", "synced", "shown", "manual"),
    [
        (SOFTWARE, True, {"doctolib"}, False),
        ({**SOFTWARE, "refuses_editor_slots": True, "honour_two_hours": True}, False, set(), True),
        (MANUAL, False, set(), True),
        ({}, False, set(), True),
    ],
)
def test_what_a_declaration_implies(
    body: dict[str, Any], synced: bool, shown: set[str], manual: bool
) -> None:
    declaration = Declaration.model_validate(body)
    assert editor_synced(declaration) is synced
    assert shown_editors(declaration) == shown
    assert manual_agenda_allowed(declaration) is manual


def test_no_declaration_yet_allows_the_manual_agenda() -> None:
    assert manual_agenda_allowed(None)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="extra"):
        Declaration.model_validate({"participates": True, "favourite_colour": "blue"})


SOS_STRUCTURE = {
    "kind": "sos_medecins",
    "structure_name": "SOS Médecins 31",
    "participates": True,
    "doctors": 4,
    "honour_two_hours_per_doctor": True,
}
SIRET = "34173748400020"


@pytest.mark.parametrize(
    ("changes", "structure_id", "rule"),
    [
        ({"editors": ["sos-one"]}, SIRET, None),
        (
            {"editors": ["sos-one", "sos-two"], "participates": False, "honour_two_hours_per_doctor": False},
            SIRET,
            None,
        ),
        ({}, "31SOS0001", None),  # without editors: any structure id
        ({"editors": ["ps-one"]}, SIRET, Rule.UNKNOWN_EDITOR),  # not an SOS editor of the territory
        ({"editors": ["sos-one"]}, "3" + SIRET, Rule.STRUCTURE_SIRET_REQUIRED),  # a SIRET, not an IDNST
        ({"editors": ["sos-one"]}, "31SOS0001", Rule.STRUCTURE_SIRET_REQUIRED),
        ({"editors": ["sos-one"], "kind": "cds"}, SIRET, Rule.STRUCTURE_EDITORS_SOS_ONLY),
        (
            {"editors": ["sos-one"], "honour_two_hours_per_doctor": False},
            SIRET,
            Rule.STRUCTURE_HONOUR_REQUIRED,
        ),
    ],
)
def test_structure_editors(changes: dict[str, Any], structure_id: str, rule: Rule | None) -> None:
    declaration = StructureDeclaration.model_validate({**SOS_STRUCTURE, **changes})
    if rule is None:
        check_structure(declaration, structure_id=structure_id, sos_editors=["sos-one", "sos-two"])
        return
    with pytest.raises(RuleViolation) as raised:
        check_structure(declaration, structure_id=structure_id, sos_editors=["sos-one", "sos-two"])
    assert raised.value.rule == rule.value


@pytest.mark.parametrize(
    ("changes", "polled"),
    [
        ({"editors": ["sos-one"]}, {"sos-one"}),
        ({"editors": ["sos-one"], "participates": False}, set()),  # not participating: not polled
        ({"editors": ["sos-one"], "kind": "cds"}, set()),
        ({}, set()),
    ],
)
def test_polled_editors(changes: dict[str, Any], polled: set[str]) -> None:
    assert polled_editors(StructureDeclaration.model_validate({**SOS_STRUCTURE, **changes})) == polled
