"""The rule modules `make mutate` mutates, each with the unit test files that guard it: one definition.

A module joins the list with its tests (globs under `tests/unit/`); nothing else changes. The tests named
are the only ones run against the module's mutants: integration tests never are.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = "layers/common/"

# module (path from the repository root) → the unit test files run against its mutants
MODULES: dict[str, tuple[str, ...]] = {
    "layers/common/sas_common/participation/rules.py": (
        "tests/unit/test_participation_rules.py",
        "tests/unit/test_participation_rule_order.py",
        "tests/unit/test_participation_rules_edges.py",
    ),
    "layers/common/sas_common/agenda/rules.py": (
        "tests/unit/test_agenda_rules.py",
        "tests/unit/test_agenda_rules_edges.py",
    ),
    "layers/common/sas_common/agenda/occurrences.py": (
        "tests/unit/test_agenda_occurrences.py",
        "tests/unit/test_agenda_occurrences_edges.py",
    ),
    "layers/common/sas_common/agenda/weekly.py": (
        "tests/unit/test_agenda_materialise.py",
        "tests/unit/test_agenda_weekly_edges.py",
    ),
    "layers/common/sas_common/agenda/unavailability.py": (
        "tests/unit/test_agenda_unavailability.py",
        "tests/unit/test_agenda_unavailability_edges.py",
    ),
    "layers/common/sas_common/fhir/slot_mapping.py": (
        "tests/unit/test_fhir_mapping.py",
        "tests/unit/test_slot_mapping_edges.py",
    ),
    "layers/common/sas_common/directory/extract.py": (
        "tests/unit/test_directory_extract.py",
        "tests/unit/test_directory_entries.py",
        "tests/unit/test_directory_extract_edges.py",
    ),
    "layers/common/sas_common/slots/replacement.py": (
        "tests/unit/test_slot_replacement.py",
        "tests/unit/test_slot_replacement_edges.py",
    ),
    "layers/common/sas_common/ingest/breaker.py": (
        "tests/unit/test_ingest_breaker.py",
        "tests/unit/test_ingest_breaker_edges.py",
    ),
    "layers/common/sas_common/bodies.py": (
        "tests/unit/test_input_bounds.py",
        "tests/unit/test_bodies_edges.py",
    ),
}


def selected() -> dict[str, tuple[str, ...]]:
    """`MODULES`, or those whose path contains one of `MUTATE_ONLY` (comma-separated), to iterate on a few."""
    only = [part for part in os.environ.get("MUTATE_ONLY", "").split(",") if part]
    return {module: tests for module, tests in MODULES.items() if not only or any(o in module for o in only)}


def unit_tests(modules: dict[str, tuple[str, ...]], root: Path = ROOT) -> list[str]:
    """The unit test files of these modules that exist (a module's new edge tests may not yet)."""
    files = dict.fromkeys(name for tests in modules.values() for name in tests)
    return [name for name in files if (root / name).is_file()]
