"""Fixtures of the editor-ingest tests: the FHIR test double, a moment, editors added to the territory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sas_common.ingest import client
from sas_common.runtime import Runtime
from sas_local.fhir_editor import FakeEditor
from support import TerritoryEditors


@pytest.fixture(scope="module")
def editor_double() -> Iterator[FakeEditor]:
    with FakeEditor() as double:
        yield double


@pytest.fixture
def fake(editor_double: FakeEditor, monkeypatch: pytest.MonkeyPatch) -> FakeEditor:
    """The module's FHIR test double, emptied, with retries that do not wait."""
    editor_double.clear()
    monkeypatch.setattr(client, "BACKOFF_BASE_SECONDS", 0.001)
    return editor_double


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def territory_editors(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> TerritoryEditors:
    return TerritoryEditors(rt, monkeypatch)
