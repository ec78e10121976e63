"""Test helpers importable from every test module (`tests/` is on pytest's python path)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from sas_common.effecteurs.model import Effecteur, Place, Position
from sas_common.participation import service
from sas_common.participation.rules import Declaration
from sas_common.runtime import Runtime
from sas_common.settings import Settings
from sas_common.territory import EditorConfig
from sas_local.fhir_editor import FakeEditor
from sas_local.gateway import HttpRequest, HttpResponse
from sas_local.platform import LocalPlatform
from sas_local.server import dispatch


@dataclass
class Client:
    platform: LocalPlatform

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        path, _, query = path.partition("?")
        all_headers = {"host": "127.0.0.1:8080", **(headers or {})}
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers.setdefault("content-type", "application/json")
        if token is not None:
            all_headers["authorization"] = f"Bearer {token}"
        return dispatch(self.platform, HttpRequest(method, path, query, all_headers, body))

    def get(self, path: str, **options: Any) -> HttpResponse:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> HttpResponse:
        return self.request("POST", path, **options)

    def push_bundle(self, editor_id: str, bundle: Any) -> HttpResponse:
        """`POST /fhir/Bundle` as that editor: a Bundle (JSON-able) or raw bytes."""
        raw = bundle if isinstance(bundle, bytes) else json.dumps(bundle).encode()
        token = self.token("editor", f"{editor_id}-client", editor_id=editor_id)
        return self.post(
            "/fhir/Bundle", body=raw, headers={"content-type": "application/fhir+json"}, token=token
        )

    def token(self, role: str, sub: str, **claims: Any) -> str:
        response = self.post("/_local/token", json_body={"role": role, "sub": sub, **claims})
        assert response.status == 200, response.body
        token: str = response.json()["access_token"]
        return token


_next_id = iter(range(1, 10**6))


def new_effecteur(rt: Runtime, *, structure_ids: list[str] | None = None, last_name: str = "TEST") -> str:
    """A fresh effecteur with one place in Toulouse (p1), so a test owns its data on the shared platform."""
    national_id = f"87{next(_next_id):010d}"  # RPPS-shaped ids no seed or other test uses
    rt.effecteurs.put_effecteur(
        Effecteur(national_id=national_id, last_name=last_name, first_name="Test", profession_code="10"),
        [
            Place(
                id="p1",
                address="1 place du Capitole",
                postal_code="31000",
                city="Toulouse",
                commune_code="31555",
                position=Position(lat=43.6045, lon=1.4440),
                structure_ids=structure_ids or [],
            )
        ],
    )
    return national_id


def editor_like_demo(rt: Runtime, base_url: str, prefix: str = "editor", **update: Any) -> EditorConfig:
    """A copy of the demo territory's editor with a fresh id, pointed at `base_url` (a FakeEditor), so a
    test owns its breaker, budget and declared effecteurs on the shared platform."""
    demo = rt.territory.editor("demo-editor")
    assert demo is not None
    fields = {**demo.model_dump(), "id": f"{prefix}-{next(_next_id)}", "fhir_base_url": base_url, **update}
    return EditorConfig.model_validate(fields)


def declaring(rt: Runtime, *editor_ids: str) -> str:
    """A fresh effecteur who participates and shows these editors' slots (interfaced software), declared
    with every effect of a save (the form's rules are not checked: the editors may be a test's own)."""
    national_id = new_effecteur(rt)
    declaration = Declaration(
        participates=True, modality="individual", uses_interfaced_software=True, editors=list(editor_ids)
    )
    service.save_effecteur(rt, national_id, declaration, by="test")
    return national_id


class TerritoryEditors:
    """Editors added to the platform's territory for one test (the poll worker and the FHIR routes know
    only the territory's editors)."""

    def __init__(self, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        self._rt = rt
        self._monkeypatch = monkeypatch
        self._base = rt.territory
        self._added: list[EditorConfig] = []

    def add(self, fake: FakeEditor, **update: Any) -> EditorConfig:
        editor = editor_like_demo(self._rt, fake.base_url, **update)
        self._added.append(editor)
        widened = self._base.model_copy(update={"editors": [*self._base.editors, *self._added]})
        self._monkeypatch.setattr(Settings, "territory", property(lambda _self: widened))
        return editor
