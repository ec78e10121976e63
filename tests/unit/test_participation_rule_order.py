"""The participation rules in the order `check` applies them: the first broken rule is the one reported.

One row per rule, then rows that break two rules at once (the earlier one must win), each pinning the
rule, the field and the message a 422 carries. The table was recorded from `check` before it was split
into one function per group of rules, and must not change.
"""

from __future__ import annotations

from typing import Any

import pytest

from sas_common.errors import RuleViolation
from sas_common.participation.rules import Declaration, check

EDITORS = {"e1", "e2"}
PLACES = {"p1", "p2"}

# A valid participant with interfaced software; each row changes what it breaks.
WITH_SOFTWARE: dict[str, Any] = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": True,
    "editors": ["e1"],
}
# A valid participant without interfaced software.
WITHOUT_SOFTWARE: dict[str, Any] = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": False,
    "honour_two_hours": True,
}
SOS: dict[str, Any] = {"participates": True, "modality": "sos_medecins", "structure_name": "S"}

MODALITY = ("modality_required", "modality", "a participating effecteur chooses a modality")
CPTS_PLACES = (
    "cpts_places_required",
    "structure_place_ids",
    "a CPTS declaration lists the places attached to it",
)
SOS_SOFTWARE = (
    "sos_no_software_question",
    "uses_interfaced_software",
    "SOS Médecins: no booking-software question, the association's manager enters availability",
)
SOFTWARE_ANSWER = (
    "software_answer_required",
    "uses_interfaced_software",
    "say whether you use an interfaced booking software",
)
EDITORS_REQUIRED = ("editors_required", "editors", "with interfaced software, list the editors you use")
EDITORS_WITHOUT_SOFTWARE = (
    "editors_without_software",
    "editors",
    "editors are listed only with interfaced software",
)
REFUSAL = (
    "refusal_needs_software",
    "refuses_editor_slots",
    "refusing editor slots only applies with interfaced software",
)
HONOUR_WITHOUT_SOFTWARE = (
    "honour_required_without_software",
    "honour_two_hours",
    "without interfaced software, declare on your honour 2 hours a week on the SAS agenda",
)
HONOUR_WHEN_REFUSING = (
    "honour_required_when_refusing",
    "honour_two_hours",
    "refusing editor slots requires the honour declaration of 2 hours a week on the SAS agenda",
)


def _structure(modality: str) -> tuple[str, str, str]:
    return ("structure_required", "structure_name", f"modality '{modality}' requires the structure's name")


def _unknown_places(places: str) -> tuple[str, str, str]:
    return ("unknown_place", "structure_place_ids", f"unknown place(s): {places}")


def _unknown_editors(editors: str) -> tuple[str, str, str]:
    return ("unknown_editor", "editors", f"editor(s) not interfaced in this territory for doctors: {editors}")


CASES = [
    # --- each rule on its own, in the order `check` applies them ---------------------------------
    pytest.param({"participates": True}, MODALITY, id="modality required"),
    pytest.param({**WITHOUT_SOFTWARE, "modality": "msp"}, _structure("msp"), id="msp names its structure"),
    pytest.param({**WITHOUT_SOFTWARE, "modality": "cpts"}, _structure("cpts"), id="cpts names its structure"),
    pytest.param(
        {"participates": True, "modality": "sos_medecins"}, _structure("sos_medecins"), id="sos name"
    ),
    pytest.param({"modality": "msp"}, _structure("msp"), id="structure named even when not participating"),
    pytest.param(
        {**WITHOUT_SOFTWARE, "modality": "cpts", "structure_name": "S"},
        CPTS_PLACES,
        id="cpts places required",
    ),
    pytest.param(
        {**WITHOUT_SOFTWARE, "structure_place_ids": ["p1", "zz", "aa"]},
        _unknown_places("aa, zz"),
        id="unknown places, sorted",
    ),
    pytest.param({**SOS, "uses_interfaced_software": False}, SOS_SOFTWARE, id="sos: no software answer"),
    pytest.param({**SOS, "editors": ["e1"]}, SOS_SOFTWARE, id="sos: no editors"),
    pytest.param({**SOS, "refuses_editor_slots": True}, SOS_SOFTWARE, id="sos: no refusal"),
    pytest.param(
        {**WITHOUT_SOFTWARE, "uses_interfaced_software": None}, SOFTWARE_ANSWER, id="software answer"
    ),
    pytest.param({**WITH_SOFTWARE, "editors": []}, EDITORS_REQUIRED, id="editors required"),
    pytest.param(
        {**WITH_SOFTWARE, "editors": ["e1", "zz", "aa"]},
        _unknown_editors("aa, zz"),
        id="unknown editors, sorted",
    ),
    pytest.param(
        {**WITHOUT_SOFTWARE, "editors": ["e1"]}, EDITORS_WITHOUT_SOFTWARE, id="editors without software"
    ),
    pytest.param({"editors": ["e1"]}, EDITORS_WITHOUT_SOFTWARE, id="editors with no software answer"),
    pytest.param({**WITHOUT_SOFTWARE, "refuses_editor_slots": True}, REFUSAL, id="refusal needs software"),
    pytest.param(
        {"uses_interfaced_software": False, "refuses_editor_slots": True},
        REFUSAL,
        id="refusal needs software, not participating",
    ),
    pytest.param(
        {**WITHOUT_SOFTWARE, "honour_two_hours": False}, HONOUR_WITHOUT_SOFTWARE, id="honour without software"
    ),
    pytest.param(
        {**WITH_SOFTWARE, "refuses_editor_slots": True}, HONOUR_WHEN_REFUSING, id="honour when refusing"
    ),
    # --- two rules broken at once: the first in `check`'s order is reported ------------------------
    pytest.param(
        {"participates": True, "structure_place_ids": ["zz"]}, MODALITY, id="modality before unknown place"
    ),
    pytest.param(
        {"participates": True, "editors": ["e1"]}, MODALITY, id="modality before software answer and editors"
    ),
    pytest.param(
        {"participates": True, "modality": "cpts"}, _structure("cpts"), id="structure before cpts places"
    ),
    pytest.param(
        {**WITHOUT_SOFTWARE, "modality": "msp", "structure_place_ids": ["zz"]},
        _structure("msp"),
        id="structure before unknown place",
    ),
    pytest.param(
        {**SOS, "structure_name": None, "uses_interfaced_software": True},
        _structure("sos_medecins"),
        id="structure before sos software question",
    ),
    pytest.param(
        {**SOS, "structure_place_ids": ["zz"], "uses_interfaced_software": True},
        _unknown_places("zz"),
        id="unknown place before sos software question",
    ),
    pytest.param(
        {"participates": True, "modality": "individual", "structure_place_ids": ["zz"]},
        _unknown_places("zz"),
        id="unknown place before software answer",
    ),
    pytest.param(
        {**WITH_SOFTWARE, "editors": ["zz"], "structure_place_ids": ["zz"]},
        _unknown_places("zz"),
        id="unknown place before unknown editor",
    ),
    pytest.param(
        {**SOS, "uses_interfaced_software": True, "refuses_editor_slots": True},
        SOS_SOFTWARE,
        id="sos software question before honour when refusing",
    ),
    pytest.param(
        {**WITHOUT_SOFTWARE, "uses_interfaced_software": None, "editors": ["e1"]},
        SOFTWARE_ANSWER,
        id="software answer before editors without software",
    ),
    pytest.param(
        {**WITHOUT_SOFTWARE, "uses_interfaced_software": None, "refuses_editor_slots": True},
        SOFTWARE_ANSWER,
        id="software answer before honour when refusing",
    ),
    pytest.param(
        {**WITH_SOFTWARE, "editors": [], "refuses_editor_slots": True},
        EDITORS_REQUIRED,
        id="editors required before honour when refusing",
    ),
    pytest.param(
        {**WITH_SOFTWARE, "editors": ["zz"], "refuses_editor_slots": True},
        _unknown_editors("zz"),
        id="unknown editor before honour when refusing",
    ),
    pytest.param(
        {**WITHOUT_SOFTWARE, "editors": ["e1"], "refuses_editor_slots": True},
        EDITORS_WITHOUT_SOFTWARE,
        id="editors without software before refusal",
    ),
    pytest.param(
        {**WITHOUT_SOFTWARE, "editors": ["e1"], "honour_two_hours": False},
        EDITORS_WITHOUT_SOFTWARE,
        id="editors without software before honour",
    ),
    pytest.param(
        {**WITHOUT_SOFTWARE, "refuses_editor_slots": True, "honour_two_hours": False},
        REFUSAL,
        id="refusal before honour without software",
    ),
    # --- what no rule refuses (the SOS rules end the checks) ---------------------------------------
    pytest.param(SOS, None, id="sos: no software answer, no honour"),
    pytest.param({"refuses_editor_slots": True}, None, id="not participating, refusing, no software answer"),
    pytest.param(
        {**WITH_SOFTWARE, "refuses_editor_slots": True, "honour_two_hours": True},
        None,
        id="refusing with honour",
    ),
]


@pytest.mark.parametrize(("body", "broken"), CASES)
def test_the_first_broken_rule_is_reported(body: dict[str, Any], broken: tuple[str, str, str] | None) -> None:
    declaration = Declaration.model_validate(body)
    if broken is None:
        check(declaration, territory_editors=EDITORS, place_ids=PLACES)
        return
    with pytest.raises(RuleViolation) as raised:
        check(declaration, territory_editors=EDITORS, place_ids=PLACES)
    assert (raised.value.rule, raised.value.field, raised.value.message) == broken
