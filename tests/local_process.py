"""`python -m sas_local` (what `make run` starts) as a child process, for tests that drive it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
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


def wait_ready(process: subprocess.Popen[str], port: int, timeout: float = 180) -> list[str]:
    """The lines printed up to the ready line (which must name `port`); fails the test otherwise. A start
    takes about 8 s on a quiet machine; the bound leaves room for a machine busy with other test workers."""
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


def keep_reading(process: subprocess.Popen[str], lines: list[str]) -> threading.Thread:
    """Go on reading what the process prints (into `lines`), so that it never blocks on a full pipe."""

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, name="local-platform-output", daemon=True)
    reader.start()
    return reader


@contextmanager
def local_platform(
    env: dict[str, str] | None = None, *, drain: bool = False
) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """A started platform: the process, its base URL, and what it printed before it was ready (with
    `drain`, everything it prints, as it prints it: for tests that make it print a lot)."""
    port = free_port()
    process = start({"SAS_PORT": str(port), **(env or {})})
    reader: threading.Thread | None = None
    try:
        lines = wait_ready(process, port)
        if drain:
            reader = keep_reading(process, lines)
        yield process, f"http://127.0.0.1:{port}", lines
    finally:
        if process.poll() is None:
            process.kill()
            if reader is None:
                process.communicate(timeout=30)
        if reader is not None:
            process.wait(timeout=30)
            reader.join(timeout=30)
