"""`reports/mutation.md`: per module, what the mutants did and the score; every survivor with its diff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bench.mutation.classify import MESSAGE_TEXT
from bench.mutation.model import KILLED, NO_TESTS, SURVIVED, TIMEOUT, Mutant

GOAL = 95.0  # % of the behaviour-changing mutants killed, in every module


@dataclass(frozen=True)
class Score:
    module: str
    total: int
    killed: int
    timeout: int
    survived: int  # behaviour-changing mutants undetected (no selected test reaching them included)
    excluded: int  # undetected and excluded: message text, equivalents

    @property
    def counted(self) -> int:
        return self.total - self.excluded

    @property
    def percent(self) -> float:
        return 100.0 * (self.killed + self.timeout) / self.counted if self.counted else 100.0

    @property
    def meets_goal(self) -> bool:
        return self.percent >= GOAL


def score(module: str, mutants: Iterable[Mutant]) -> Score:
    of_module = [m for m in mutants if m.module == module]
    undetected = [m for m in of_module if not m.detected]
    return Score(
        module=module,
        total=len(of_module),
        killed=sum(m.status == KILLED for m in of_module),
        timeout=sum(m.status == TIMEOUT for m in of_module),
        survived=sum(m.excluded is None for m in undetected),
        excluded=sum(m.excluded is not None for m in undetected),
    )


def render(mutants: list[Mutant], modules: Iterable[str], header: str) -> str:
    scores = [score(module, mutants) for module in modules]
    lines = [
        "# Mutation testing of the rule modules",
        "",
        header,
        "",
        "Each mutant is one small change to a rule module (an operator, a bound, a constant, a default);",
        "the module's unit tests run against it (`pytest -x`, the files `bench/mutation/modules.py` names).",
        "*Killed*: a test failed; *timeout*: the tests hung (detected too); *survived*: every test passed,",
        "or no selected test reaches the code. *Excluded*: survivors that change only a message's text",
        "(tests assert codes, rules and fields, never messages) or are equivalent",
        "(`bench/mutation/equivalent.py`, each with its reason).",
        f"**Score** = (killed + timeout) / (mutants − excluded); the goal is ≥ {GOAL:.0f} % per module.",
        "",
        "| module | mutants | killed | timeout | survived | excluded | score |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        mark = "" if s.meets_goal else " ✗"
        lines.append(
            f"| `{_short(s.module)}` | {s.total} | {s.killed} | {s.timeout} | {s.survived} | {s.excluded}"
            f" | {s.percent:.1f} %{mark} |"
        )
    for s in scores:
        lines += _module_section(s, [m for m in mutants if m.module == s.module])
    return "\n".join(lines) + "\n"


def _short(module: str) -> str:
    return module.removeprefix("layers/common/sas_common/")


def _module_section(s: Score, mutants: list[Mutant]) -> list[str]:
    undetected = sorted((m for m in mutants if not m.detected), key=lambda m: (m.line, m.name))
    survivors = [m for m in undetected if m.excluded is None]
    equivalents = [m for m in undetected if m.excluded is not None and m.excluded != MESSAGE_TEXT]
    messages = [m for m in undetected if m.excluded == MESSAGE_TEXT]
    lines = ["", f"## `{_short(s.module)}`: {s.percent:.1f} %", ""]
    if not survivors:
        lines.append("No behaviour-changing mutant survives.")
    for mutant in survivors:
        lines += _mutant(mutant, _status(mutant))
    if equivalents:
        lines += ["", "### Excluded: equivalent", ""]
        for mutant in equivalents:
            lines += _mutant(mutant, f"equivalent: {mutant.excluded}")
    if messages:
        lines += [
            "",
            f"<details><summary>Excluded: {len(messages)} mutants of message text only</summary>",
            "",
        ]
        for mutant in messages:
            lines += _mutant(mutant, "message text only")
        lines += ["</details>"]
    return lines


def _status(mutant: Mutant) -> str:
    return {SURVIVED: "survived", NO_TESTS: "survived: no selected test reaches it", TIMEOUT: "timeout"}.get(
        mutant.status, mutant.status
    )


def _mutant(mutant: Mutant, status: str) -> list[str]:
    return [
        f"- `{mutant.module}:{mutant.line}` — {status} ({mutant.tool} `{mutant.name}`)",
        "",
        "  ```diff",
        *(f"  {line}" for line in mutant.diff.splitlines()[2:]),
        "  ```",
        "",
    ]
