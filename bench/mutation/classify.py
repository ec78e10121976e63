"""Which undetected mutants do not count, and why: the message text, and the equivalents listed by hand.

A rule's contract is its code, its `rule`, its `field` and its outcome; the human-readable message may be
reworded at any time (issue 17: "the message text may change, so assert a code"), so the tests never pin
it. A mutant that only changes what a message says — its wording, the values it quotes, how it quotes them
— is therefore excluded from the score, mechanically: once every message is replaced by a placeholder, the
mutated module is the original module. A message turned into `None`, or dropped, still counts (an error
must say something; tests check it does, without reading it).

The other exclusions are equivalent mutants, each listed in `bench.mutation.equivalent` with its reason.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Callable, Iterator

from bench.mutation.equivalent import EQUIVALENTS, MESSAGE_ONLY

MESSAGE_TEXT = "message text only (not part of the contract: tests assert codes, rules and fields)"

# Callables of the layer whose argument is a message, with its position and keyword: the domain errors
# (sas_common.errors, sas_common.fhir.errors), ValueError (turned into a message by the caller), a FHIR
# entry's `_Problem` and `Rejection`, an extract line's `Rejection`. Functions of the module itself with a
# parameter named as one of `MESSAGE_PARAMETERS` (each module's `_broken`; the label of a reference, the
# name of a resource, that only messages quote) are found in the module.
MESSAGE_ARGUMENTS: dict[str, list[tuple[int, str]]] = {
    "DomainError": [(0, "message")],
    "RuleViolation": [(0, "message")],
    "InvalidInput": [(0, "message")],
    "UnsupportedMediaType": [(0, "message")],
    "InvalidBundle": [(0, "message")],
    "ValueError": [(0, "message")],
    "_Problem": [(1, "reason")],
    "Rejection": [(1, "reason")],
}
MESSAGE_PARAMETERS = frozenset({"message", "reason", "label", "named"})
# Parameters quoted inside a message (`None` there is only text): the others are the message itself.
QUOTED_PARAMETERS = frozenset({"label", "named"})
# Callers turn these into text of their own (`f"…: {exc}"`), so even `None` is only text there.
TEXT_ONLY = frozenset({"ValueError"})
# Functions whose return value, when not None, is a message (the reason of an extract line's rejection).
MESSAGE_RETURNS = frozenset({"_identity_problem"})
_PLACEHOLDER = "<message>"


def first_changed_line(original: str, mutated: str) -> int:
    """The first line of `original` (1-based) that the mutant changes."""
    matcher = difflib.SequenceMatcher(None, original.splitlines(), mutated.splitlines(), autojunk=False)
    for tag, i1, _, _, _ in matcher.get_opcodes():
        if tag != "equal":
            return i1 + 1
    return 0


def diff(path: str, original: str, mutated: str) -> str:
    """The mutant as a unified diff of the module, one line of context."""
    lines = difflib.unified_diff(
        original.splitlines(), mutated.splitlines(), fromfile=path, tofile=path, n=1, lineterm=""
    )
    return "\n".join(lines)


def exclusion(module: str, original: str, mutated: str) -> str | None:
    """Why an undetected mutant does not count, or None when it does."""
    removed, added = _changed(original, mutated)
    for equivalent in EQUIVALENTS:
        if equivalent.matches(module, removed, added):
            return equivalent.reason
    if any(entry.matches(module, removed, added) for entry in MESSAGE_ONLY) or message_only(
        original, mutated
    ):
        return MESSAGE_TEXT
    return None


def _changed(original: str, mutated: str) -> tuple[str, str]:
    """The lines a mutant removes and adds, each stripped and joined by one space."""
    matcher = difflib.SequenceMatcher(None, original.splitlines(), mutated.splitlines(), autojunk=False)
    before, after = original.splitlines(), mutated.splitlines()
    removed: list[str] = []
    added: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += [line.strip() for line in before[i1:i2]]
            added += [line.strip() for line in after[j1:j2]]
    return " ".join(removed), " ".join(added)


def message_only(original: str, mutated: str) -> bool:
    """Whether the mutated module equals the original once every message is a placeholder."""
    if original == mutated:
        return False
    return ast.dump(_without_messages(original)) == ast.dump(_without_messages(mutated))


def _without_messages(source: str) -> ast.Module:
    tree = ast.parse(source)
    arguments = _arguments(tree)
    messages = {id(node) for node in _message_nodes(tree, arguments)}
    texts = {id(node) for node in _message_texts(tree, arguments)}
    _MessagePlaceholders(messages, texts).visit(tree)
    return tree


def _arguments(tree: ast.Module) -> dict[str, list[tuple[int, str]]]:
    arguments = dict(MESSAGE_ARGUMENTS)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found = _message_parameters(node)
            if found:
                arguments[node.name] = found
    return arguments


def _message_parameters(node: ast.FunctionDef | ast.ClassDef) -> list[tuple[int, str]]:
    """Where a function of the module (or a class's `__init__`) takes text for messages (a method's
    `self` is not counted: it is called through its instance)."""
    if isinstance(node, ast.ClassDef):
        init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        if init is None:
            return []
        node = init
    names = [a.arg for a in node.args.args]
    if names[:1] in (["self"], ["cls"]):
        names = names[1:]
    return [(position, name) for position, name in enumerate(names) if name in MESSAGE_PARAMETERS]


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _message_nodes(tree: ast.Module, arguments: dict[str, list[tuple[int, str]]]) -> Iterator[ast.AST]:
    """The message arguments of every call, and the returned messages."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) in arguments:
            yield from _arguments_of(node, arguments)
        elif isinstance(node, ast.FunctionDef) and node.name in MESSAGE_RETURNS:
            yield from (r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None)


def _message_texts(tree: ast.Module, arguments: dict[str, list[tuple[int, str]]]) -> Iterator[ast.AST]:
    """What only becomes part of a message, where `None` is text too: the values of the locals only
    messages read, and the messages of `TEXT_ONLY` callables."""
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        yield from _message_locals(function, arguments)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) in arguments:
            quoted = QUOTED_PARAMETERS | (MESSAGE_PARAMETERS if _callee(node) in TEXT_ONLY else frozenset())
            yield from _arguments_of(node, arguments, quoted.__contains__)


def _message_locals(
    function: ast.FunctionDef, arguments: dict[str, list[tuple[int, str]]]
) -> Iterator[ast.AST]:
    """The values assigned to the locals of `function` that are read only inside messages."""
    inside = {
        id(inner)
        for call in ast.walk(function)
        if isinstance(call, ast.Call) and _callee(call) in arguments
        for argument in _arguments_of(call, arguments)
        for inner in ast.walk(argument)
    }
    loads: dict[str, list[bool]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads.setdefault(node.id, []).append(id(node) in inside)
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            seen = loads.get(node.targets[0].id, [])
            if seen and all(seen):
                yield node.value


def _arguments_of(
    call: ast.Call,
    arguments: dict[str, list[tuple[int, str]]],
    selected: Callable[[str], bool] = lambda name: True,
) -> Iterator[ast.AST]:
    for position, keyword in arguments[_callee(call) or ""]:
        if not selected(keyword):
            continue
        if position < len(call.args):
            yield call.args[position]
        yield from (k.value for k in call.keywords if k.arg == keyword)


class _MessagePlaceholders(ast.NodeTransformer):
    """Every message replaced by one placeholder; `None` kept (an error without a message counts)."""

    def __init__(self, messages: set[int], texts: set[int]) -> None:
        self._messages = messages
        self._texts = texts

    def visit(self, node: ast.AST) -> ast.AST:
        if id(node) in self._texts:
            return ast.Constant(_PLACEHOLDER)
        if id(node) in self._messages and not (isinstance(node, ast.Constant) and node.value is None):
            return ast.Constant(_PLACEHOLDER)
        visited: ast.AST = super().visit(node)
        return visited
