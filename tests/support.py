"""Test helpers importable from every test module (`tests/` is on pytest's python path)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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

    def token(self, role: str, sub: str, **claims: Any) -> str:
        response = self.post("/_local/token", json_body={"role": role, "sub": sub, **claims})
        assert response.status == 200, response.body
        token: str = response.json()["access_token"]
        return token
