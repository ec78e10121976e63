"""`python -m sas_local` (what `make run` starts): the ready line, real HTTP on a socket, a clean Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
READY = "SAS platform ready on http://127.0.0.1:"
PYTHONPATH = os.pathsep.join(str(ROOT / part) for part in ("functions", "layers/common", "local", "."))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sas_local"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": PYTHONPATH, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    process = start({"SAS_PORT": str(port)})
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith(READY):
            break
        if not line and process.poll() is not None:
            pytest.fail("the local platform exited:\n" + "".join(lines))
    else:
        process.kill()
        pytest.fail("no ready line within 60 s:\n" + "".join(lines))
    assert line.strip() == f"{READY}{port}"
    yield process, f"http://127.0.0.1:{port}"
    if process.poll() is None:
        process.kill()


def test_health_token_and_a_protected_route_over_http(server: tuple[subprocess.Popen[str], str]) -> None:
    _, base = server
    with httpx.Client(base_url=base, timeout=10) as http:
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
    with httpx.Client(base_url=base, timeout=10) as http:
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
