"""`python -m sas_local` (what `make run` starts) as a child process, for tests that drive it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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


def wait_ready(process: subprocess.Popen[str], port: int, timeout: float = 60) -> list[str]:
    """The lines printed up to the ready line (which must name `port`); fails the test otherwise."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith(READY):
            assert line.strip() == f"{READY}{port}"
            return lines
        if not line and process.poll() is not None:
            pytest.fail("the local platform exited:\n" + "".join(lines))
    process.kill()
    pytest.fail(f"no ready line within {timeout} s:\n" + "".join(lines))


@contextmanager
def local_platform(
    env: dict[str, str] | None = None,
) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """A started platform: the process, its base URL, and what it printed before it was ready."""
    port = free_port()
    process = start({"SAS_PORT": str(port), **(env or {})})
    try:
        lines = wait_ready(process, port)
        yield process, f"http://127.0.0.1:{port}", lines
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
