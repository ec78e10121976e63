"""`make run` when the demo editor's port is taken: one warning line naming the port, the platform keeps
running, and the demo editor starts once the port is free (its polls fail until then)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local_process import local_platform
from sas_common.territory import load_territory, territory_path
from sas_local import demo_editor

WARNING = (
    "warning: the demo editor could not start on 127.0.0.1:{port} (port in use): "
    "polling demo-editor will fail until it is free"
)


@pytest.fixture
def taken_port() -> Iterator[tuple[int, socket.socket]]:
    """A port held by a listening socket (the test may close it to free the port)."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        yield holder.getsockname()[1], holder
    finally:
        holder.close()


def demo_pointed_at(port: int, folder: Path) -> Path:
    """The demo territory with its editor at 127.0.0.1:<port>, as SAS_TERRITORY_CONFIG reads it."""
    demo = json.loads(territory_path("demo").read_text(encoding="utf-8"))
    demo["editors"][0]["fhir_base_url"] = f"http://127.0.0.1:{port}/fhir"
    path = folder / "demo.json"
    path.write_text(json.dumps(demo), encoding="utf-8")
    return path


def wait_until_served(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    pytest.fail(f"nothing serves 127.0.0.1:{port} within {timeout} s")


def said(capsys: pytest.CaptureFixture[str], timeout: float = 5) -> list[str]:
    """What the demo editor printed to stdout, once it printed something (it prints from its own thread)."""
    deadline = time.monotonic() + timeout
    out = ""
    while not out and time.monotonic() < deadline:
        time.sleep(0.05)
        out = capsys.readouterr().out
    return out.splitlines()


def test_a_taken_demo_editor_port_is_named_and_the_platform_keeps_running(
    taken_port: tuple[int, socket.socket], tmp_path: Path
) -> None:
    port, holder = taken_port
    territory = demo_pointed_at(port, tmp_path)

    with local_platform({"SAS_TERRITORY_CONFIG": str(territory)}) as (process, base, lines):
        printed = [line.rstrip("\n") for line in lines]
        assert WARNING.format(port=port) in printed
        assert not any(line.startswith("demo editor (FHIR test double) on") for line in printed)
        assert process.poll() is None
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200

        holder.close()
        wait_until_served(port)
        runs = httpx.post(f"{base}/_local/jobs/poll-editors", timeout=60).json()["runs"]
        run = next(run for run in runs if run["editor_id"] == "demo-editor")
        assert (run["failed_batches"], run["batches_done"]) == (0, 1)
        assert run["accepted"] > 0


def test_the_demo_editor_warns_once_then_serves_when_its_port_is_free(
    taken_port: tuple[int, socket.socket], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port, holder = taken_port
    territory = load_territory(demo_pointed_at(port, tmp_path))

    started = demo_editor.start_demo_editor(territory)
    assert started is not None
    try:
        assert capsys.readouterr().err.splitlines() == [WARNING.format(port=port)]
        assert not started.running

        holder.close()
        wait_until_served(port)
        assert started.running
        assert said(capsys) == [f"demo editor (FHIR test double) on http://127.0.0.1:{port}/fhir"]
    finally:
        started.stop()
    assert not started.running
