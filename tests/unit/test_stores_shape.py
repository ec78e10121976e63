"""One store per table: the runtime hands each table to exactly one store, and every table has one."""

from __future__ import annotations

import ast
import inspect

from sas_common import runtime, tables
from sas_common.tables import TableDef


def _stores_by_table() -> dict[str, list[str]]:
    """Table constant → the `Runtime` properties that build a store on it (`settings.table_name(X)`)."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(inspect.getsource(runtime.Runtime))):
        if not isinstance(node, ast.FunctionDef):
            continue
        for call in ast.walk(node):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "table_name"
                and call.args
                and isinstance(call.args[0], ast.Name)
            ):
                found.setdefault(call.args[0].id, []).append(node.name)
    return found


def test_each_table_has_exactly_one_store() -> None:
    defined = {name for name, value in vars(tables).items() if isinstance(value, TableDef)}
    stores = _stores_by_table()

    assert set(stores) == defined
    assert {name: properties for name, properties in stores.items() if len(properties) != 1} == {}
