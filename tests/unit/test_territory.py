from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sas_common.territory import (
    TerritoryConfigError,
    load_territory,
    parse_territory,
    territory_path,
)

MINIMAL: dict[str, Any] = {
    "code": "31-haute-garonne",
    "name": "SAS Haute-Garonne",
    "timezone": "Europe/Paris",
    "departments": ["31"],
    "editors": [
        {
            "id": "doctolib",
            "name": "Doctolib",
            "kind": "ps",
            "level": 2,
            "fhir_base_url": "https://fhir.example/api",
            "poll_every_minutes": 5,
        }
    ],
}


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "t.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_the_contract_example_with_only_pinned_keys_loads_with_defaults(tmp_path: Path) -> None:
    territory = load_territory(write(tmp_path, MINIMAL))
    assert territory.code == "31-haute-garonne"
    assert territory.editors[0].level == 2
    assert territory.custom_domain is None
    assert territory.log_retention_days == 90
    assert str(territory.zone) == "Europe/Paris"


def test_the_demo_territory_is_valid() -> None:
    demo = load_territory(territory_path("demo"))
    assert demo.code == "demo"
    assert demo.editor("demo-editor") is not None


@pytest.mark.parametrize("key", ["code", "name", "timezone", "departments", "editors"])
def test_a_missing_required_key_is_named_with_the_file(tmp_path: Path, key: str) -> None:
    path = write(tmp_path, {k: v for k, v in MINIMAL.items() if k != key})
    with pytest.raises(TerritoryConfigError) as raised:
        load_territory(path)
    assert str(path) in str(raised.value)
    assert f"missing required key '{key}'" in str(raised.value)


def test_a_missing_editor_key_is_named_with_its_position(tmp_path: Path) -> None:
    editor = {k: v for k, v in MINIMAL["editors"][0].items() if k != "fhir_base_url"}
    with pytest.raises(TerritoryConfigError, match=r"missing required key 'editors\.0\.fhir_base_url'"):
        load_territory(write(tmp_path, {**MINIMAL, "editors": [editor]}))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({**MINIMAL, "colour": "blue"}, "unknown key 'colour'"),
        ({**MINIMAL, "timezone": "Europe/Toulouse"}, "unknown time zone 'Europe/Toulouse'"),
        ({**MINIMAL, "departments": ["310"]}, "key 'departments.0'"),
        ({**MINIMAL, "departments": []}, "key 'departments'"),
        ({**MINIMAL, "code": "Bad Code"}, "key 'code'"),
        ({**MINIMAL, "editors": MINIMAL["editors"] * 2}, "duplicate editor id(s): doctolib"),
        ({**MINIMAL, "editors": [{**MINIMAL["editors"][0], "level": 3}]}, "key 'editors.0.level'"),
        ({**MINIMAL, "editors": [{**MINIMAL["editors"][0], "kind": "hospital"}]}, "key 'editors.0.kind'"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_territory_files_are_refused_with_the_reason(
    tmp_path: Path, content: object, expected: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(TerritoryConfigError) as raised:
        load_territory(path)
    assert expected in str(raised.value)
    assert str(path) in str(raised.value)


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TerritoryConfigError, match="cannot read territory file"):
        load_territory(tmp_path / "absent.json")


def test_parse_names_its_source() -> None:
    with pytest.raises(TerritoryConfigError, match=r"^\$SAS_TERRITORY: "):
        parse_territory("{}", "$SAS_TERRITORY")


@pytest.mark.parametrize(
    ("department", "valid"),
    [
        ("01", True),
        ("31", True),
        ("2A", True),
        ("2B", True),
        ("95", True),
        ("971", True),
        ("976", True),
        ("00", False),
        ("20", False),
        ("96", False),
        ("977", False),
        ("310", False),
        ("2a", False),
    ],
)
def test_department_codes(department: str, valid: bool) -> None:
    text = json.dumps({**MINIMAL, "departments": [department]})
    if valid:
        assert parse_territory(text, "t").departments == [department]
    else:
        with pytest.raises(TerritoryConfigError, match=r"key 'departments\.0'"):
            parse_territory(text, "t")
