"""`python -m sas_local` (what `make run` starts): the ready line, real HTTP on a socket, a clean Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local_process import free_port, local_platform, start


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    with local_platform() as (process, base, _):
        yield process, base


def test_health_token_and_a_protected_route_over_http(server: tuple[subprocess.Popen[str], str]) -> None:
    _, base = server
    # Generous: a function's first request starts its worker (its cold start), slower on a busy machine.
    with httpx.Client(base_url=base, timeout=60) as http:
        assert http.get("/health").status_code == 200
        assert "/effecteurs/{national_id}" in http.get("/openapi.json").json()["paths"]
        token = http.post("/_local/token", json={"role": "regulator", "sub": "reg-1"}).json()["access_token"]
        card = http.get("/effecteurs/810000000001", headers={"Authorization": f"Bearer {token}"})
        assert card.status_code == 200
        assert card.json()["last_name"] == "MARTIN"
        wrong = http.post("/_local/token", json={"role": "editor", "sub": "e", "editor_id": "demo-editor"})
        forbidden = http.get(
            "/effecteurs/810000000001", headers={"Authorization": f"Bearer {wrong.json()['access_token']}"}
        )
        assert forbidden.status_code == 403
        assert http.get("/effecteurs/810000000001").status_code == 401
        job = http.post("/_local/jobs/expire-slots")
        assert job.status_code == 200
        assert "expired" in job.json()


def test_the_demo_territory_is_seeded_with_a_manual_agenda(server: tuple[subprocess.Popen[str], str]) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    _, base = server
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    with httpx.Client(base_url=base, timeout=60) as http:
        token = http.post("/_local/token", json={"role": "regulator", "sub": "r"}).json()["access_token"]
        agenda = http.get(
            "/effecteurs/810000000001/agenda",
            params={"from": str(today), "to": str(today + timedelta(days=6))},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert agenda.status_code == 200
    occurrences = agenda.json()["occurrences"]
    assert len(occurrences) == 5  # any 7 days (bounds included) hold each weekday once
    assert {occurrence["start"][11:16] for occurrence in occurrences} == {"09:00"}


def test_an_oversized_body_is_refused_before_it_is_read(server: tuple[subprocess.Popen[str], str]) -> None:
    _, base = server
    response = httpx.post(f"{base}/health", content=b"x" * (6 * 1024 * 1024 + 1), timeout=30)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_ctrl_c_stops_cleanly(server: tuple[subprocess.Popen[str], str]) -> None:
    process, _ = server
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in output
    assert output.strip().endswith("stopped")


def test_a_bad_territory_file_is_named_and_nothing_starts(tmp_path: Path) -> None:
    territory = tmp_path / "broken.json"
    territory.write_text(
        json.dumps({"code": "x", "name": "X", "timezone": "Europe/Paris", "departments": ["31"]})
    )
    process = start({"SAS_TERRITORY_CONFIG": str(territory), "SAS_PORT": str(free_port())})
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"{territory}: missing required key 'editors'" in output
