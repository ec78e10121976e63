"""A mutant's outcome, as both runners record it and the report reads it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# How a mutant ended: `killed` (a test failed), `timeout` (the tests hung: detected too), `survived` (every
# test passed), `no_tests` (no selected test reaches the code: not detected either).
KILLED = "killed"
TIMEOUT = "timeout"
SURVIVED = "survived"
NO_TESTS = "no_tests"
DETECTED = frozenset({KILLED, TIMEOUT})


@dataclass(frozen=True)
class Mutant:
    module: str  # path from the repository root
    tool: str  # "mutmut", or "extra" (bench.mutation.extra: what mutmut leaves alone)
    name: str
    status: str
    line: int = 0  # first changed line in the module (0: not computed, for killed mutants)
    diff: str = ""
    excluded: str | None = None  # why an undetected mutant does not count (bench.mutation.classify)

    @property
    def detected(self) -> bool:
        return self.status in DETECTED


def save(mutants: list[Mutant], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(mutant) for mutant in mutants], indent=1), encoding="utf-8")


def load(path: Path) -> list[Mutant]:
    rows: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return [Mutant(**row) for row in rows]
