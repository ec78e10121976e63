"""The mutants mutmut leaves alone: `python -m bench.mutation.extra OUT.json WORKERS`.

mutmut 3 mutates function bodies only (it swaps each function for a trampoline), and skips decorated
functions other than class/static methods. The rules of these modules also live in
- module constants (`HOURS_PER_DOCTOR = 2.0`, `MAX_EDITORS = 20`, `SIRET_PATTERN`, `COLUMNS`, …): numbers
  ±1 (a float by one unit of its last decimal), `True`/`False` swapped, a string constant or a regular
  expression wrapped in `XX` (and a pattern upper-cased: `\\d` → `\\D`; `{n}` widened to `{1,n}`), the
  first or the last element of a collection dropped, an arithmetic operator swapped;
- pydantic field definitions: `Field(...)` bounds (`ge` ↔ `gt`, `le` ↔ `lt`, every number ±1), a field's
  default (`True` ↔ `False`, numbers ±1), a model's `ConfigDict` and validators' field names;
- enum members' values (the stable codes: a rule's `rule`, a status);
- decorated methods (properties, pydantic validators): mutated with mutmut's own operators.

Each mutant is the whole module with one change. A runner process imports pytest and the libraries once;
each mutant runs in a child forked from it, where an import hook serves the mutated module in place of the
file, and pytest runs `-x` on the module's unit test files only (`bench.mutation.modules`).
"""

from __future__ import annotations

import ast
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec
from importlib.util import spec_from_file_location
from pathlib import Path
from types import ModuleType

import libcst as cst
from mutmut.mutation.mutators import mutation_operators, operator_swap_op

from bench.mutation import classify
from bench.mutation.model import KILLED, SURVIVED, TIMEOUT, Mutant, save
from bench.mutation.modules import LAYER, ROOT, selected

PATHS = ("functions", "layers/common", "local", ".", "tests")
_ENUM_BASES = frozenset({"Enum", "StrEnum", "IntEnum"})
_BOUND_SWAPS = {"ge": "gt", "gt": "ge", "le": "lt", "lt": "le"}
_NOT_BEHAVIOUR_KEYWORDS = frozenset({"description", "title", "examples"})
_NEVER_CALLED = frozenset({"len", "isinstance"})  # as mutmut: mutating them only breaks the call


@dataclass(frozen=True)
class Candidate:
    scope: str  # the constant, class or method changed
    what: str  # the operator, for the name
    original: cst.CSTNode
    mutated: cst.CSTNode


# --- generating ---------------------------------------------------------------------------------------


def mutants_of(source: str) -> list[tuple[str, str]]:
    """Every mutant of the module as (name, mutated source), in the order of the source."""
    tree = cst.parse_module(source)
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for number, candidate in enumerate(_candidates(tree), start=1):
        mutated = tree.deep_replace(candidate.original, candidate.mutated)
        assert isinstance(mutated, cst.Module)
        code = mutated.code
        if code == source or code in seen or not _compiles(code):
            continue
        seen.add(code)
        found.append((f"{candidate.scope}:{candidate.what}#{number}", code))
    return found


def _compiles(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def _candidates(tree: cst.Module) -> Iterator[Candidate]:
    for statement in tree.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign | cst.AnnAssign) and small.value is not None:
                    scope = _target_name(small)
                    yield from _value_candidates(scope, small.value)
        elif isinstance(statement, cst.ClassDef):
            yield from _class_candidates(statement)
        elif isinstance(statement, cst.FunctionDef) and _skipped_by_mutmut(statement):
            yield from _body_candidates(statement.name.value, statement)


def _target_name(node: cst.Assign | cst.AnnAssign) -> str:
    target = node.target if isinstance(node, cst.AnnAssign) else node.targets[0].target
    return target.value if isinstance(target, cst.Name) else "?"


def _skipped_by_mutmut(function: cst.FunctionDef) -> bool:
    """Decorated, and not by exactly one `staticmethod` or `classmethod` (those mutmut mutates)."""
    if not function.decorators:
        return False
    if len(function.decorators) == 1:
        decorator = function.decorators[0].decorator
        return not (isinstance(decorator, cst.Name) and decorator.value in ("staticmethod", "classmethod"))
    return True


def _class_candidates(cls: cst.ClassDef) -> Iterator[Candidate]:
    if not isinstance(cls.body, cst.IndentedBlock):
        return
    is_enum = bool({_name_of(base.value) for base in cls.bases} & _ENUM_BASES)
    for statement in cls.body.body:
        if isinstance(statement, cst.FunctionDef) and _skipped_by_mutmut(statement):
            yield from _body_candidates(f"{cls.name.value}.{statement.name.value}", statement)
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Assign | cst.AnnAssign):
                    yield from _attribute_candidates(
                        f"{cls.name.value}.{_target_name(small)}", small, is_enum
                    )


def _attribute_candidates(scope: str, node: cst.Assign | cst.AnnAssign, is_enum: bool) -> Iterator[Candidate]:
    """An enum member's value, or a model's (or dataclass's) field."""
    if not is_enum:
        yield from _field_candidates(scope, node)
    elif node.value is not None:
        yield from _string_candidates(scope, node.value, regex=False)


def _name_of(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


def _field_candidates(scope: str, node: cst.Assign | cst.AnnAssign) -> Iterator[Candidate]:
    """A model's field: the bounds of its `Field(...)` (in the annotation or the value) and its default."""
    if isinstance(node, cst.AnnAssign):
        for inner in _walk(node.annotation):
            if isinstance(inner, cst.Call) and _name_of(inner.func) == "Field":
                yield from _call_candidates(scope, inner)
    value = node.value
    if value is None:
        return
    if isinstance(value, cst.Call):
        yield from _call_candidates(scope, value)
    else:
        yield from _value_candidates(scope, value)


def _call_candidates(scope: str, call: cst.Call) -> Iterator[Candidate]:
    """`Field(ge=…)`, `ConfigDict(extra=…)`, `field_validator("name")(…)`: bounds swapped, numbers moved,
    flags flipped, names and settings wrapped in XX."""
    for inner in _walk(call):
        if not isinstance(inner, cst.Call):
            continue
        for position, arg in enumerate(inner.args):
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword in _NOT_BEHAVIOUR_KEYWORDS:
                continue
            if keyword in _BOUND_SWAPS:
                renamed = arg.with_changes(keyword=cst.Name(_BOUND_SWAPS[keyword]))
                args = [*inner.args[:position], renamed, *inner.args[position + 1 :]]
                yield Candidate(
                    scope, f"{keyword}->{_BOUND_SWAPS[keyword]}", inner, inner.with_changes(args=args)
                )
            yield from _scalar_candidates(scope, arg.value)
            if isinstance(arg.value, cst.SimpleString):
                yield from _string_candidates(scope, arg.value, regex=False)


def _value_candidates(scope: str, value: cst.BaseExpression) -> Iterator[Candidate]:
    """A module constant (or a field's plain default)."""
    if isinstance(value, cst.SimpleString | cst.ConcatenatedString):
        yield from _string_candidates(scope, value, regex=False)
    targets = {id(inner.target) for inner in _walk(value) if isinstance(inner, cst.CompFor)}
    for inner in _walk(value):
        if id(inner) not in targets:
            yield from _node_candidates(scope, inner)


def _node_candidates(scope: str, node: cst.CSTNode) -> Iterator[Candidate]:
    if isinstance(node, cst.Call) and _name_of(node.func) == "compile" and node.args:
        yield from _string_candidates(scope, node.args[0].value, regex=True)
    elif isinstance(node, cst.Call) and _name_of(node.func) == "Field":
        yield from _call_candidates(scope, node)
    elif isinstance(node, cst.Tuple | cst.List | cst.Set | cst.Dict):
        yield from _collection_candidates(scope, node)
    elif isinstance(node, cst.BinaryOperation):
        for swapped in operator_swap_op(node):
            yield Candidate(scope, "operator", node, swapped)
    else:
        yield from _scalar_candidates(scope, node)


def _scalar_candidates(scope: str, node: cst.CSTNode) -> Iterator[Candidate]:
    if isinstance(node, cst.Integer):
        value = int(node.evaluated_value)
        for moved in (value + 1, value - 1):
            yield Candidate(scope, f"{value}->{moved}", node, _number(moved))
    elif isinstance(node, cst.Float):
        for moved_text in _moved_float(node.value):
            yield Candidate(scope, f"{node.value}->{moved_text}", node, cst.Float(moved_text))
    elif isinstance(node, cst.Name) and node.value in ("True", "False"):
        flipped = "False" if node.value == "True" else "True"
        yield Candidate(scope, f"{node.value}->{flipped}", node, cst.Name(flipped))


def _number(value: int) -> cst.BaseExpression:
    if value < 0:
        return cst.UnaryOperation(operator=cst.Minus(), expression=cst.Integer(str(-value)))
    return cst.Integer(str(value))


def _moved_float(text: str) -> tuple[str, ...]:
    """One unit of the last decimal up and down (0.01 → 0.02, 0.00); ×10 and ÷10 with an exponent."""
    if "e" in text.lower() or "." not in text:
        value = float(text)
        return (repr(value * 10), repr(value / 10))
    decimals = len(text.split(".")[1])
    unit = 10.0**-decimals
    value = float(text)
    return tuple(f"{moved:.{decimals}f}" for moved in (value + unit, value - unit) if moved >= 0)


def _string_candidates(scope: str, node: cst.BaseExpression, *, regex: bool) -> Iterator[Candidate]:
    if not isinstance(node, cst.SimpleString):
        return
    prefix, quote, body = _string_parts(node.value)
    if quote in ('"""', "'''"):
        return
    bodies = [("XX", f"XX{body}XX")]
    if regex:
        bodies.append(("upper", body.upper()))
        widened = re.sub(r"\{(\d+)\}", lambda m: "{1," + m.group(1) + "}", body)
        bodies.append(("widened", widened))
    for what, changed in bodies:
        if changed != body:
            yield Candidate(scope, what, node, node.with_changes(value=f"{prefix}{quote}{changed}{quote}"))


def _string_parts(value: str) -> tuple[str, str, str]:
    start = min(i for i in (value.find('"'), value.find("'")) if i != -1)
    prefix, rest = value[:start], value[start:]
    quote = rest[:3] if rest[:3] in ('"""', "'''") else rest[0]
    return prefix, quote, rest[len(quote) : -len(quote)]


def _collection_candidates(
    scope: str, node: cst.Tuple | cst.List | cst.Set | cst.Dict
) -> Iterator[Candidate]:
    elements = list(node.elements)
    if not elements:
        return
    for what, kept in (("drop-first", elements[1:]), ("drop-last", elements[:-1])):
        if len(elements) == 1 and what == "drop-last":
            continue
        if isinstance(node, cst.Tuple) and len(kept) == 1:
            kept = [kept[0].with_changes(comma=cst.Comma())]
        if isinstance(node, cst.Set) and not kept:
            continue  # `{}` is a dict: the set's emptiness is checked by dropping from two elements
        yield Candidate(scope, what, node, node.with_changes(elements=kept))


def _body_candidates(scope: str, function: cst.FunctionDef) -> Iterator[Candidate]:
    """A decorated function's body, with mutmut's own operators (what mutmut would do undecorated)."""
    body = function.body
    statements = list(body.body) if isinstance(body, cst.IndentedBlock) else []
    if statements and _is_docstring(statements[0]):
        statements = statements[1:]
    for statement in statements:
        for node in _walk(statement, skip_calls=_NEVER_CALLED):
            for kind, operator in mutation_operators:
                if isinstance(node, kind):
                    for mutated in operator(node):
                        yield Candidate(scope, operator.__name__.removeprefix("operator_"), node, mutated)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _walk(node: cst.CSTNode, skip_calls: frozenset[str] = frozenset()) -> Iterator[cst.CSTNode]:
    """`node` and every node below it, type annotations aside (and calls to `skip_calls`)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Annotation) and current is not node:
            continue
        if isinstance(current, cst.Call) and _name_of(current.func) in skip_calls:
            continue
        yield current
        stack.extend(reversed(current.children))


# --- running ------------------------------------------------------------------------------------------


class _Served(MetaPathFinder, Loader):
    """Serves one module from a source text instead of its file."""

    def __init__(self, name: str, path: Path, source: str) -> None:
        self._name, self._path, self._source = name, path, source

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname != self._name:
            return None
        return spec_from_file_location(fullname, self._path, loader=self)

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(compile(self._source, str(self._path), "exec"), module.__dict__)  # noqa: S102 (the mutant)


def module_name(module: str) -> str:
    return module.removeprefix(LAYER).removesuffix(".py").replace("/", ".")


def _prepare() -> None:
    """Import pytest and every library the tests use, once; drop the project's own modules, which each
    child imports again (one of them mutated)."""
    for entry in reversed(PATHS):
        sys.path.insert(0, str((ROOT / entry).resolve()))
    sys.path.insert(0, str(ROOT / "tests" / "unit"))
    os.chdir(ROOT)
    import importlib

    import pytest  # noqa: F401 (loaded once, for every child)

    for tests in selected().values():
        for test in tests:
            if (ROOT / test).is_file():
                importlib.import_module(Path(test).stem)
    importlib.import_module("conftest")
    venv = str((ROOT / ".venv").resolve())
    for name, loaded in list(sys.modules.items()):
        location = getattr(loaded, "__file__", None) or ""
        if location.startswith(str(ROOT)) and not location.startswith(venv) and not name.startswith("bench"):
            del sys.modules[name]
    sys.path.remove(str(ROOT / "tests" / "unit"))


def _child(name: str | None, path: Path, source: str, tests: list[str]) -> None:
    """In the forked child: run the tests with the mutant (or none) in place; exit with pytest's code."""
    null = os.open(os.devnull, os.O_WRONLY)
    if not os.environ.get("MUTATION_DEBUG"):
        os.dup2(null, 1)
        os.dup2(null, 2)
    try:
        import pytest

        if name is not None:
            sys.meta_path.insert(0, _Served(name, path, source))
        code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), *tests]))
    except BaseException:
        code = 3
    os._exit(code)


@dataclass
class _Job:
    module: str
    name: str
    source: str | None  # None: the clean run
    tests: list[str]
    timeout: float


def _run_jobs(jobs: list[_Job], workers: int) -> dict[int, str]:
    """Each job in a forked child, `workers` at a time: its outcome by index."""
    outcome: dict[int, str] = {}
    running: dict[int, tuple[int, float, _Job]] = {}
    pending = list(enumerate(jobs))
    while pending or running:
        while pending and len(running) < workers:
            index, job = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                path = ROOT / job.module
                _child(module_name(job.module) if job.source else None, path, job.source or "", job.tests)
            running[pid] = (index, time.monotonic(), job)
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for child, (index, started, job) in list(running.items()):
                if time.monotonic() - started > job.timeout:
                    os.kill(child, 9)
                    os.waitpid(child, 0)
                    del running[child]
                    outcome[index] = TIMEOUT
            time.sleep(0.02)
            continue
        index, _, _ = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        outcome[index] = SURVIVED if code == 0 else KILLED
        if code == 5:
            raise SystemExit(f"no test collected for {jobs[index].module}: see bench.mutation.modules")
    return outcome


def run(workers: int) -> list[Mutant]:
    _prepare()
    modules = {m: [t for t in tests if (ROOT / t).is_file()] for m, tests in selected().items()}
    clean = [_Job(m, "clean", None, tests, 600.0) for m, tests in modules.items()]
    started = time.monotonic()
    clean_outcome = _run_jobs(clean, workers)
    if any(outcome != SURVIVED for outcome in clean_outcome.values()):
        failing = [clean[i].module for i, outcome in clean_outcome.items() if outcome != SURVIVED]
        raise SystemExit(f"the unit tests fail without any mutant: {failing}")
    budget = 10 * (time.monotonic() - started) / max(1, len(clean)) * workers + 20
    originals = {m: (ROOT / m).read_text(encoding="utf-8") for m in modules}
    jobs = [
        _Job(module, name, source, modules[module], budget)
        for module in modules
        for name, source in mutants_of(originals[module])
    ]
    outcome = _run_jobs(jobs, workers)
    results = []
    for index, job in enumerate(jobs):
        status, source, original = outcome[index], job.source or "", originals[job.module]
        mutant = Mutant(module=job.module, tool="extra", name=job.name, status=status)
        if not mutant.detected:
            mutant = Mutant(
                module=job.module,
                tool="extra",
                name=job.name,
                status=status,
                line=classify.first_changed_line(original, source),
                diff=classify.diff(job.module, original, source),
                excluded=classify.exclusion(job.module, original, source),
            )
        results.append(mutant)
    return results


def main(argv: list[str]) -> int:
    out, workers = Path(argv[0]), int(argv[1])
    save(run(workers), out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
