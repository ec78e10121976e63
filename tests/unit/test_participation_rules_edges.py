"""The participation rules at their edges: each bound just inside, on and just outside, each broken rule by
its stable code, `rule` and `field` (never its message, which may be reworded), each constant by its value.

Found untested by mutation testing (issue 17, `make mutate`): a test here fails when an edge moves.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from sas_common.errors import RuleViolation
from sas_common.participation.rules import (
    HOURS_PER_DOCTOR,
    MAX_DOCTORS,
    MAX_EDITORS,
    MAX_STRUCTURE_PLACES,
    MIN_DOCTORS,
    SIRET_PATTERN,
    STRUCTURE_MODALITIES,
    Declaration,
    Modality,
    Rule,
    StructureDeclaration,
    StructureKind,
    check,
    check_structure,
)

EDITORS = {"e1", "e2"}
PLACES = {"p1", "p2"}
SOS_EDITORS = ["sos-one", "sos-two"]
SIRET = "34173748400020"
STRUCTURE: dict[str, Any] = {
    "kind": "sos_medecins",
    "structure_name": "SOS Médecins 31",
    "participates": True,
    "doctors": 4,
    "honour_two_hours_per_doctor": True,
}


def broken(call: Any, **kwargs: Any) -> RuleViolation:
    """The rule violation `call(**kwargs)` raises, checked for what every violation carries."""
    with pytest.raises(RuleViolation) as raised:
        call(**kwargs)
    error = raised.value
    assert error.code == "rule_violation"
    assert error.status == 422
    assert isinstance(error.message, str)
    assert error.message
    return error


def invalid(model: Any, body: dict[str, Any]) -> tuple[str, tuple[int | str, ...]]:
    """The one pydantic error of `body`: its type (a stable code) and where it is."""
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    errors = raised.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["type"], tuple(errors[0]["loc"])


# --- stable codes ------------------------------------------------------------------------------------


def test_every_rule_has_its_stable_code() -> None:
    assert {rule.name: rule.value for rule in Rule} == {
        "MODALITY_REQUIRED": "modality_required",
        "STRUCTURE_REQUIRED": "structure_required",
        "CPTS_PLACES_REQUIRED": "cpts_places_required",
        "UNKNOWN_PLACE": "unknown_place",
        "SOFTWARE_ANSWER_REQUIRED": "software_answer_required",
        "SOS_NO_SOFTWARE_QUESTION": "sos_no_software_question",
        "EDITORS_REQUIRED": "editors_required",
        "EDITORS_WITHOUT_SOFTWARE": "editors_without_software",
        "UNKNOWN_EDITOR": "unknown_editor",
        "HONOUR_REQUIRED_WITHOUT_SOFTWARE": "honour_required_without_software",
        "REFUSAL_NEEDS_SOFTWARE": "refusal_needs_software",
        "HONOUR_REQUIRED_WHEN_REFUSING": "honour_required_when_refusing",
        "STRUCTURE_HONOUR_REQUIRED": "structure_honour_required",
        "STRUCTURE_EDITORS_SOS_ONLY": "structure_editors_sos_only",
        "STRUCTURE_SIRET_REQUIRED": "structure_siret_required",
    }


def test_modalities_and_structure_kinds_have_their_stable_values() -> None:
    assert [m.value for m in Modality] == ["individual", "cpts", "msp", "sos_medecins"]
    assert [k.value for k in StructureKind] == ["cds", "sos_medecins"]
    assert frozenset({Modality.CPTS, Modality.MSP, Modality.SOS_MEDECINS}) == STRUCTURE_MODALITIES


@pytest.mark.parametrize("modality", ["cpts", "msp", "sos_medecins"])
def test_each_structure_modality_needs_the_structures_name(modality: str) -> None:
    body = {"participates": True, "modality": modality, "structure_place_ids": ["p1"]}
    error = broken(
        check, declaration=Declaration.model_validate(body), territory_editors=EDITORS, place_ids=PLACES
    )
    assert (error.rule, error.field) == ("structure_required", "structure_name")


def test_an_individual_needs_no_structure_name() -> None:
    body = {"participates": True, "modality": "individual", "uses_interfaced_software": False}
    body["honour_two_hours"] = True
    check(Declaration.model_validate(body), territory_editors=EDITORS, place_ids=PLACES)


# --- SOS Médecins: no software question, whichever part of it is answered ---------------------------


SOS: dict[str, Any] = {"participates": True, "modality": "sos_medecins", "structure_name": "SOS 31"}


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"editors": ["e1"]}, id="only editors listed"),
        pytest.param({"refuses_editor_slots": True}, id="only a refusal"),
        pytest.param({"uses_interfaced_software": False}, id="software answered no"),
        pytest.param({"uses_interfaced_software": True}, id="software answered yes"),
    ],
)
def test_an_sos_declaration_answers_no_software_question(answer: dict[str, Any]) -> None:
    declaration = Declaration.model_validate({**SOS, **answer})
    error = broken(check, declaration=declaration, territory_editors=EDITORS, place_ids=PLACES)
    assert (error.rule, error.field) == ("sos_no_software_question", "uses_interfaced_software")


def test_an_sos_declaration_skips_the_software_and_honour_rules() -> None:
    # Neither the software answer nor the honour declaration is asked of an SOS doctor.
    check(Declaration.model_validate(SOS), territory_editors=EDITORS, place_ids=PLACES)


# --- list bounds ---------------------------------------------------------------------------------------


def test_list_bounds_have_their_values() -> None:
    assert (MAX_EDITORS, MAX_STRUCTURE_PLACES) == (20, 20)


def names(count: int, prefix: str = "e") -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


@pytest.mark.parametrize(("count", "valid"), [(19, True), (20, True), (21, False)])
@pytest.mark.parametrize("model", ["declaration", "structure"])
def test_at_most_20_editors(count: int, valid: bool, model: str) -> None:
    if model == "declaration":
        target: Any = Declaration
        body: dict[str, Any] = {"editors": names(count)}
    else:
        target, body = StructureDeclaration, {**STRUCTURE, "editors": names(count)}
    if valid:
        assert len(target.model_validate(body).editors) == count
    else:
        assert invalid(target, body) == ("too_long", ("editors",))


@pytest.mark.parametrize(("count", "valid"), [(19, True), (20, True), (21, False)])
def test_at_most_20_places_attached_to_a_structure(count: int, valid: bool) -> None:
    body = {"structure_place_ids": names(count, "p")}
    if valid:
        assert len(Declaration.model_validate(body).structure_place_ids) == count
    else:
        assert invalid(Declaration, body) == ("too_long", ("structure_place_ids",))


@pytest.mark.parametrize(
    ("field", "length", "error"),
    [
        ("editors", 0, "string_too_short"),
        ("editors", 1, None),
        ("editors", 40, None),
        ("editors", 41, "string_too_long"),
        ("structure_place_ids", 0, "string_too_short"),
        ("structure_place_ids", 1, None),
        ("structure_place_ids", 64, None),
        ("structure_place_ids", 65, "string_too_long"),
    ],
)
def test_each_listed_id_is_bounded(field: str, length: int, error: str | None) -> None:
    body = {field: ["x" * length]}
    if error is None:
        assert getattr(Declaration.model_validate(body), field) == ["x" * length]
    else:
        assert invalid(Declaration, body) == (error, (field, 0))


@pytest.mark.parametrize(
    ("length", "error"), [(0, "string_too_short"), (1, None), (200, None), (201, "string_too_long")]
)
def test_a_structure_name_is_1_to_200_characters(length: int, error: str | None) -> None:
    for model, body in ((Declaration, {}), (StructureDeclaration, STRUCTURE)):
        values = {**body, "structure_name": "n" * length}
        if error is None:
            assert model.model_validate(values).structure_name == "n" * length
        else:
            assert invalid(model, values) == (error, ("structure_name",))


def test_an_editor_listed_twice_is_listed_once() -> None:
    declaration = Declaration.model_validate(
        {"editors": ["e2", "e1", "e2"], "structure_place_ids": ["p2", "p2"]}
    )
    assert (declaration.editors, declaration.structure_place_ids) == (["e2", "e1"], ["p2"])
    structure = StructureDeclaration.model_validate({**STRUCTURE, "editors": ["s", "s", "t"]})
    assert structure.editors == ["s", "t"]


# --- what a declaration is when nothing is said --------------------------------------------------------


def test_the_defaults_tick_nothing() -> None:
    assert Declaration().model_dump() == {
        "participates": False,
        "modality": None,
        "structure_name": None,
        "structure_place_ids": [],
        "uses_interfaced_software": None,
        "editors": [],
        "refuses_editor_slots": False,
        "honour_two_hours": False,
        "forfait_reorientation": False,
    }
    assert Declaration.defaults() == Declaration()
    structure = StructureDeclaration.model_validate({"kind": "cds", "structure_name": "CDS", "doctors": 1})
    assert (structure.participates, structure.honour_two_hours_per_doctor, structure.editors) == (
        False,
        False,
        [],
    )


@pytest.mark.parametrize(
    ("model", "body"),
    [(Declaration, {}), (StructureDeclaration, STRUCTURE)],
)
def test_a_declaration_is_closed_and_immutable(model: Any, body: dict[str, Any]) -> None:
    assert invalid(model, {**body, "favourite_colour": "blue"}) == ("extra_forbidden", ("favourite_colour",))
    declaration = model.model_validate(body)
    with pytest.raises(ValidationError) as raised:
        declaration.participates = True
    assert raised.value.errors()[0]["type"] == "frozen_instance"


# --- structures: doctors, hours, SIRET -----------------------------------------------------------------


def test_doctor_bounds_and_hours_have_their_values() -> None:
    assert (HOURS_PER_DOCTOR, MIN_DOCTORS, MAX_DOCTORS) == (2.0, 0.01, 1000)


@pytest.mark.parametrize(
    ("doctors", "error"),
    [
        (0, "greater_than_equal"),
        (0.0, "greater_than_equal"),
        (0.01, None),
        (0.02, None),
        (999.99, None),
        (1000, None),
        (1000.01, "less_than_equal"),
        (1001, "less_than_equal"),
        (-1, "greater_than_equal"),
    ],
)
def test_doctors_from_a_hundredth_to_a_thousand(doctors: float, error: str | None) -> None:
    body = {**STRUCTURE, "doctors": doctors}
    if error is None:
        assert StructureDeclaration.model_validate(body).doctors == doctors
    else:
        assert invalid(StructureDeclaration, body) == (error, ("doctors",))


@pytest.mark.parametrize(
    ("doctors", "kept"),
    [
        (2.5, 2.5),
        (2.25, 2.25),
        (0.1 + 0.2, 0.3),  # 0.30000000000000004: a hundredth, rounded
        (2.50000000001, 2.5),  # within the float tolerance
        (7, 7.0),
    ],
)
def test_doctors_are_counted_to_the_hundredth(doctors: float, kept: float) -> None:
    assert StructureDeclaration.model_validate({**STRUCTURE, "doctors": doctors}).doctors == kept


@pytest.mark.parametrize("doctors", [2.505, 2.5001, 2.50001, 0.015, 1.001])
def test_doctors_finer_than_a_hundredth_are_refused(doctors: float) -> None:
    assert invalid(StructureDeclaration, {**STRUCTURE, "doctors": doctors}) == ("value_error", ("doctors",))


@pytest.mark.parametrize(
    ("doctors", "participates", "hours"),
    [
        (0.01, True, 0.02),
        (1, True, 2.0),
        (2.5, True, 5.0),
        (4, True, 8.0),
        (1000, True, 2000.0),
        (4, False, 0.0),
        (1000, False, 0.0),
    ],
)
def test_two_hours_a_week_per_doctor_when_participating(
    doctors: float, participates: bool, hours: float
) -> None:
    body = {
        **STRUCTURE,
        "doctors": doctors,
        "participates": participates,
        "honour_two_hours_per_doctor": True,
    }
    assert StructureDeclaration.model_validate(body).weekly_hours_required == pytest.approx(hours)


@pytest.mark.parametrize(
    ("structure_id", "valid"),
    [
        (SIRET, True),
        ("00000000000000", True),
        (SIRET[:13], False),  # 13 digits
        (SIRET + "0", False),  # 15 digits
        (SIRET[:9], False),  # a SIREN (9 digits)
        ("1", False),
        ("3417374840002A", False),  # 14 characters, one a letter
        ("2A SOS 0001 XXX", False),
        ("", False),
    ],
)
def test_an_association_polled_by_its_editors_is_declared_under_a_14_digit_siret(
    structure_id: str, valid: bool
) -> None:
    declaration = StructureDeclaration.model_validate({**STRUCTURE, "editors": ["sos-one"]})
    if valid:
        check_structure(declaration, structure_id=structure_id, sos_editors=SOS_EDITORS)
        assert SIRET_PATTERN.fullmatch(structure_id)
        return
    error = broken(
        check_structure, declaration=declaration, structure_id=structure_id, sos_editors=SOS_EDITORS
    )
    assert (error.rule, error.field) == ("structure_siret_required", "structure_id")


@pytest.mark.parametrize(
    ("changes", "structure_id", "rule", "field"),
    [
        ({"editors": ["sos-one"], "kind": "cds"}, SIRET, "structure_editors_sos_only", "editors"),
        ({"editors": ["ps-one"]}, SIRET, "unknown_editor", "editors"),
        ({"editors": ["sos-one", "ps-one"]}, SIRET, "unknown_editor", "editors"),
        ({"editors": ["sos-one"]}, "31SOS0001", "structure_siret_required", "structure_id"),
        (
            {"honour_two_hours_per_doctor": False},
            SIRET,
            "structure_honour_required",
            "honour_two_hours_per_doctor",
        ),
        (
            {"honour_two_hours_per_doctor": False, "kind": "cds"},
            "CDS-1",
            "structure_honour_required",
            "honour_two_hours_per_doctor",
        ),
        # The first broken rule is reported: editors before the SIRET, the SIRET before the honour.
        ({"editors": ["ps-one"]}, "31SOS0001", "unknown_editor", "editors"),
        ({"editors": ["sos-one"], "kind": "cds"}, "31SOS0001", "structure_editors_sos_only", "editors"),
        (
            {"editors": ["sos-one"], "honour_two_hours_per_doctor": False},
            "31SOS0001",
            "structure_siret_required",
            "structure_id",
        ),
    ],
)
def test_a_structure_declaration_names_its_rule_and_field(
    changes: dict[str, Any], structure_id: str, rule: str, field: str
) -> None:
    declaration = StructureDeclaration.model_validate({**STRUCTURE, **changes})
    error = broken(
        check_structure, declaration=declaration, structure_id=structure_id, sos_editors=SOS_EDITORS
    )
    assert (error.rule, error.field) == (rule, field)


@pytest.mark.parametrize("kind", ["cds", "sos_medecins"])
def test_a_structure_not_participating_needs_no_honour(kind: str) -> None:
    body = {**STRUCTURE, "kind": kind, "participates": False, "honour_two_hours_per_doctor": False}
    check_structure(StructureDeclaration.model_validate(body), structure_id="any", sos_editors=SOS_EDITORS)
