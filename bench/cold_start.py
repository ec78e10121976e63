"""Cold-start import time of each Lambda handler module, as `python -X importtime` reports it.

Each handler is imported in a fresh interpreter with the environment the stack gives it (fake table names,
the demo territory), several times; the median of the total and the heaviest top-level imports are kept.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sas_common.capabilities import FUNCTIONS
from sas_common.queues import QUEUES
from sas_common.settings import function_environment
from sas_common.tables import TABLES
from sas_common.territory import territory_path

RUNS = 5
# importtime lines: "import time: self [us] | cumulative | imported package"
LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


@dataclass(frozen=True)
class ColdStart:
    module: str
    median_ms: float
    heaviest: list[tuple[str, float]]  # top-level imports and their cumulative ms (for investigation)


def _environment(bytecode: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(
        function_environment(
            territory_path("demo").read_text(encoding="utf-8"),
            {table.logical_name: f"bench-{table.logical_name}" for table in TABLES},
            {
                queue.logical_name: f"https://sqs.eu-west-3.amazonaws.com/1/{queue.logical_name}"
                for queue in QUEUES
            },
        )
    )
    env.update({"AWS_DEFAULT_REGION": "eu-west-3", "POWERTOOLS_TRACE_DISABLED": "true"})
    return env


def measure(module: str, runs: int = RUNS, bytecode: bool = True) -> ColdStart:
    """With `bytecode`, a first (unmeasured) import writes the .pyc files, as a layer shipping them would
    have; without, every import compiles from source (a layer without .pyc, or PYTHONDONTWRITEBYTECODE)."""
    totals: list[float] = []
    top: dict[str, float] = {}
    if bytecode:
        _import(module, bytecode)
    for _ in range(runs):
        done = subprocess.run(  # noqa: S603 - our own interpreter and module name
            [sys.executable, "-X", "importtime", "-c", f"import {module}"],
            env=_environment(),
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        total = 0.0
        for line in done.stderr.splitlines():
            found = LINE.match(line)
            if found and len(found.group(3)) == 1:  # top level: one space of indentation
                cumulative_ms = int(found.group(2)) / 1000
                total += cumulative_ms
                top[found.group(4)] = max(top.get(found.group(4), 0.0), cumulative_ms)
        totals.append(total)
    heaviest = sorted(top.items(), key=lambda item: item[1], reverse=True)[:8]
    return ColdStart(module, statistics.median(totals), heaviest)


def _import(module: str, bytecode: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and a module name of ours
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=_environment(bytecode),
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )


def run() -> tuple[str, list[ColdStart]]:
    results = [measure(spec.module) for spec in FUNCTIONS.values()]
    from_source = {spec.module: measure(spec.module, runs=3, bytecode=False) for spec in FUNCTIONS.values()}
    lines = [
        "## Cold start: handler import time",
        "",
        f"`python -X importtime -c 'import <handler>'`, median of {RUNS} fresh interpreters, this machine.",
        "",
        "With .pyc: bytecode already compiled (warm-up import first); from source: every module compiled at",
        "import, as with a layer shipping no .pyc.",
        "",
        "| handler | median import with .pyc (ms) | from source (ms) |",
        "|---|---:|---:|",
    ]
    for result in results:
        lines.append(
            f"| `{result.module}` | {result.median_ms:.0f} | {from_source[result.module].median_ms:.0f} |"
        )
    return "\n".join(lines) + "\n", results
