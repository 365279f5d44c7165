"""The package's shape: no import cycles between its modules, and a public API that says what it exports."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import pytest

import toolfoundry

PACKAGE = Path(toolfoundry.__file__).parent


def _module_name(path: Path) -> str:
    parts = ["toolfoundry", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imported(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str], homes: dict[str, dict[str, str]]
) -> set[str]:
    """The toolfoundry modules an import statement runs: the one named, a submodule for `from pkg import sub`,
    the home of a name a package's face imports on first use (`homes`), and the packages above them
    (importing `a.b.c` runs `a.b` first) that are not the importer's own."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        target = f"{base}.{node.module}" if node.level and node.module else (base if node.level else node.module)
        names = [target or ""] + [f"{target}.{alias.name}" for alias in node.names]
        names += [homes.get(target or "", {}).get(alias.name, "") for alias in node.names]
    found: set[str] = set()
    own = {module.rsplit(".", depth)[0] for depth in range(module.count(".") + 1)}
    for name in names:
        while name:
            if name in known and name not in own:
                found.add(name)
            name = name.rpartition(".")[0]
    return found


def lazy_homes(trees: dict[str, ast.Module]) -> dict[str, dict[str, str]]:
    """For each package whose face imports names on first use (a module `__getattr__`, as checks/__init__.py
    has), the module each name comes from, as its `_HOMES` says: `from toolfoundry.checks import CodeValidator`
    runs checks.validator though no import statement says so, and the graph must see it."""
    homes: dict[str, dict[str, str]] = {}
    for module, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(target, "id", "") == "_HOMES" for target in node.targets):
                homes[module] = {name: f"{module}.{home}" for name, home in ast.literal_eval(node.value).items()}
    return homes


def import_graph() -> dict[str, set[str]]:
    """Every toolfoundry module and the toolfoundry modules it imports at run time (anywhere in the file, a
    function body included; not under `if TYPE_CHECKING:`, which never runs)."""
    files = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    trees = {module: ast.parse(path.read_text(encoding="utf-8")) for module, path in files.items()}
    known = set(files)
    homes = lazy_homes(trees)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = trees[module]
        skipped = {id(inner) for node in ast.walk(tree) if _is_type_checking_block(node) for inner in ast.walk(node)}
        graph[module] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped:
                graph[module] |= _imported(node, module, path.name == "__init__.py", known, homes) - {module}
    return graph


def reached(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    """Every module that importing `start` runs, directly or through others."""
    seen, todo = set(), list(start)
    while todo:
        if (module := todo.pop()) not in seen:
            seen.add(module)
            todo += graph[module]
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a cycle or several."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            component.append(node)
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = import_graph()
    graph["toolfoundry.spec.model"].add("toolfoundry.generate.prompting")  # what spec.py once did
    assert any("toolfoundry.spec.model" in cycle for cycle in cycles(graph))


def test_imports_are_read_as_python_runs_them() -> None:
    graph = import_graph()
    assert "toolfoundry.spec.model" in graph["toolfoundry.spec.parsing"]  # from .model import ...
    assert "toolfoundry.models.local" in graph["toolfoundry.models.registry"]  # inside a function
    assert "toolfoundry.output" in graph["toolfoundry.generate.prompting"]  # the package runs first
    assert "toolfoundry.library.store" not in graph["toolfoundry.library.verified"]  # under TYPE_CHECKING


def test_a_name_taken_from_a_lazy_face_is_an_import_of_its_home() -> None:
    trees = {_module_name(path): ast.parse(path.read_text(encoding="utf-8")) for path in PACKAGE.rglob("*.py")}
    homes = lazy_homes(trees)
    assert homes["toolfoundry.checks"]["CodeValidator"] == "toolfoundry.checks.validator"
    (statement,) = ast.parse("from ..checks import CodeValidator, Finding").body
    found = _imported(statement, "toolfoundry.generate.generator", False, set(trees), homes)  # type: ignore[arg-type]
    assert found == {"toolfoundry.checks", "toolfoundry.checks.validator"}  # the face itself imports Finding


def test_a_finding_needs_neither_the_evidence_stage_nor_the_sandbox() -> None:
    # A stage below the checks may quote a Finding without a cycle: importing checks.findings runs the checks'
    # face first, and neither reaches evidence or the sandbox.
    found = reached(import_graph(), {"toolfoundry.checks", "toolfoundry.checks.findings"})
    assert found and not {
        module for module in found if module.startswith(("toolfoundry.evidence", "toolfoundry.sandbox"))
    }


def test_the_checks_face_gives_each_name_from_its_home_and_nothing_else() -> None:
    from toolfoundry import checks
    from toolfoundry.checks import behaviour, result, validator

    assert (checks.NotRun, checks.BehaviourResult) == (behaviour.NotRun, behaviour.BehaviourResult)
    assert (checks.ValidationResult, checks.CodeValidator) == (result.ValidationResult, validator.CodeValidator)
    assert sorted(checks.__all__) == sorted(["Finding", *checks._HOMES])
    with pytest.raises(AttributeError, match="no attribute 'FallbackManager'"):
        checks.FallbackManager  # noqa: B018


def test_all_lists_exactly_what_the_package_exports() -> None:
    # As httpx does: every public name in the package's namespace is in __all__, sorted, and nothing else.
    exported = [
        name
        for name, value in vars(toolfoundry).items()
        if (not name.startswith("_") or name == "__version__") and not isinstance(value, types.ModuleType)
    ]
    assert sorted(toolfoundry.__all__) == sorted(exported)
    assert len(set(toolfoundry.__all__)) == len(toolfoundry.__all__)  # (ruff keeps it sorted: RUF022)


def test_every_error_the_package_raises_is_in_the_tree() -> None:
    errors = {
        value
        for value in vars(toolfoundry).values()
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__.startswith("toolfoundry")
    }
    assert errors and all(issubclass(error, toolfoundry.ToolfoundryError) for error in errors)
    raised = set()
    for path in PACKAGE.rglob("*.py"):
        if path.parent.name == "sandbox" and path.name in {"harness.py", "replay.py"}:
            continue  # run inside the sandbox, on their own (replay raises the faults it injects)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # A package face's __getattr__ raises AttributeError for a name it does not give: Python's protocol.
        faces = {
            id(inner) for node in tree.body if getattr(node, "name", "") == "__getattr__" for inner in ast.walk(node)
        }
        for node in ast.walk(tree):
            call = node.exc if isinstance(node, ast.Raise) and id(node) not in faces else None
            # A class name; `raise fail(...)` calls a helper that makes the error.
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id[0].isupper():
                raised.add(call.func.id)
    # ValueError is raised only inside pydantic validators, which turn it into a SpecError with a field path.
    assert raised - {error.__name__ for error in errors} <= {"ValueError", "NotImplementedError"}


def test_the_version_has_one_home() -> None:
    from toolfoundry._version import __version__

    assert toolfoundry.__version__ == __version__
    texts = [path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")]
    assert sum(f'"{__version__}"' in text for text in texts) == 1
