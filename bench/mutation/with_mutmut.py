"""mutmut 3 over the rule modules' functions: `python -m bench.mutation.with_mutmut OUT.json WORKERS`.

mutmut copies `source_paths` (pyproject `[tool.mutmut]`) and the tests into `mutants/`, rewrites each
function of the modules to mutate into trampolines, and runs pytest inside `mutants/`, where the project's
`pythonpath` (pyproject: functions, layers/common, local, ., tests) makes the copy importable first. Two
things are set here rather than in pyproject:
- the modules and the unit test files, from `bench.mutation.modules` (one definition);
- mutant names: mutmut names a mutant after its file's path (`layers.common.sas_common….x_f__mutmut_1`),
  but the code runs as `sas_common.…`, so the names are taken from the import path (the layer's folder
  dropped), which is what mutmut's trampolines record. mutmut itself supports only the `src/` layout.

This process must not import the layer before mutmut does: it would be the original, not the copy.
"""

from __future__ import annotations

import sys
from pathlib import Path

import libcst as cst

from bench.mutation import classify
from bench.mutation.model import KILLED, NO_TESTS, SURVIVED, TIMEOUT, Mutant, save
from bench.mutation.modules import LAYER, selected, unit_tests

_STATUS = {"killed": KILLED, "timeout": TIMEOUT, "survived": SURVIVED, "no tests": NO_TESTS}


def _import_name(mutmut_name: str) -> str:
    return mutmut_name.removeprefix(LAYER.strip("/").replace("/", ".") + ".")


def _configure() -> None:
    import mutmut.__main__ as mutmut_cli
    import mutmut.mutation.file_mutation as file_mutation
    from mutmut.configuration import config
    from mutmut.utils import format_utils

    path_name = format_utils.get_mutant_name

    def get_mutant_name(relative_source_path: Path, mutant_method_name: str) -> str:
        return _import_name(path_name(relative_source_path, mutant_method_name))

    for module in (format_utils, mutmut_cli, file_mutation):
        module.get_mutant_name = get_mutant_name  # type: ignore[attr-defined]
    settings = config()
    modules = selected()
    settings.only_mutate = list(modules)
    settings.pytest_add_cli_args_test_selection = unit_tests(modules)


def run(workers: int) -> list[Mutant]:
    import mutmut.__main__ as mutmut_cli

    _configure()
    mutmut_cli._run([], workers)
    return [mutant for module in selected() for mutant in _results(module)]


def _results(module: str) -> list[Mutant]:
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code

    data = SourceFileMutationData(path=Path(module))
    data.load()
    original = Path(module).read_text(encoding="utf-8")
    mutants = []
    for name, exit_code in sorted(data.exit_code_by_key.items(), key=lambda item: _order(item[0])):
        status = _STATUS.get(status_by_exit_code[exit_code], KILLED)  # a crash (segfault, …) is detected
        if exit_code is None:
            raise SystemExit(f"mutmut left {name} unchecked")
        mutant = Mutant(module=module, tool="mutmut", name=name, status=status)
        if not mutant.detected:
            mutated = _mutated_module(module, original, name)
            mutant = Mutant(
                module=module,
                tool="mutmut",
                name=name,
                status=status,
                line=classify.first_changed_line(original, mutated),
                diff=classify.diff(module, original, mutated),
                excluded=classify.exclusion(module, original, mutated),
            )
        mutants.append(mutant)
    return mutants


def _order(name: str) -> tuple[str, int]:
    function, _, number = name.rpartition("__mutmut_")
    return function, int(number) if number.isdigit() else 0


def _mutated_module(module: str, original: str, name: str) -> str:
    """The whole module with this one mutant applied (mutmut keeps each mutant as a function)."""
    from mutmut.mutation.diff_apply import read_functions_from_index
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    functions = read_functions_from_index(name, module)
    if functions is None:
        raise SystemExit(f"mutmut's index of {module} has no {name}")
    _, mutated_function = functions
    function_name, class_name = orig_function_and_class_names_from_key(name)
    tree = cst.parse_module(original)
    target = _function(tree, function_name.rpartition(".")[2], class_name)
    replacement = mutated_function.with_changes(
        leading_lines=target.leading_lines, decorators=target.decorators
    )
    return tree.deep_replace(target, replacement).code  # type: ignore[union-attr]


def _function(tree: cst.Module, name: str, class_name: str | None) -> cst.FunctionDef:
    body: list[cst.CSTNode] = list(tree.body)
    if class_name is not None:
        owner = next(n for n in tree.body if isinstance(n, cst.ClassDef) and n.name.value == class_name)
        body = list(owner.body.body)
    return next(n for n in body if isinstance(n, cst.FunctionDef) and n.name.value == name)


def main(argv: list[str]) -> int:
    out, workers = Path(argv[0]), int(argv[1])
    save(run(workers), out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
