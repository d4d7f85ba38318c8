"""House rules that keep the layers honest: the library never imports dagster (nor the Dagster code location or the
benchmarks); no import cycles, between modules or between packages; the shared core imports no stage; no module
over 400 lines; SQL binds values as parameters."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from rwe_cohorts.core.warehouse import PROJECT_ROOT, SQL_ROOT, model_parameters

LIBRARY = PROJECT_ROOT / "src" / "rwe_cohorts"
PACKAGES = {"rwe_cohorts": LIBRARY, "pipelines": PROJECT_ROOT / "pipelines", "bench": PROJECT_ROOT / "bench"}
MAX_MODULE_LINES = 400


def _module_name(path: Path) -> str:
    for name, root in PACKAGES.items():
        if path.is_relative_to(root):
            parts = [name, *path.relative_to(root).with_suffix("").parts]
            return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    raise ValueError(path)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at the top or inside a function (relative imports resolved): ``import a.b``
    names ``a.b``; ``from P import x`` names ``P.x`` when that is a module, else ``P`` (where ``x`` is defined)."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in _MODULES else base


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for root in PACKAGES.values() for p in root.rglob("*.py")}


_MODULES = _modules()


def _graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a package's ``__init__`` counts as the package)."""
    return {m: {i for i in _imports(p) if i in _MODULES and i != m} for m, p in _MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _package_of(module: str) -> str:
    """``rwe_cohorts.<stage>`` for library modules, else the top-level package."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "rwe_cohorts" and len(parts) > 1 else parts[0]


def test_library_never_imports_dagster_pipelines_or_bench() -> None:
    offenders = []
    for path in LIBRARY.rglob("*.py"):
        for name in _imports(path):
            if name == "dagster" or name.startswith(("dagster.", "dagster_", "pipelines", "bench")):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}: {name}")
    assert not offenders, f"library modules importing dagster / pipelines / bench: {offenders}"


def test_no_import_cycles_between_modules_or_packages() -> None:
    graph = _graph()
    assert _cycles(graph) == []
    packages: dict[str, set[str]] = {}
    for module, imported in graph.items():
        packages.setdefault(_package_of(module), set()).update(
            _package_of(i) for i in imported if _package_of(i) != _package_of(module)
        )
    assert _cycles(packages) == [], packages


def test_the_core_imports_no_stage() -> None:
    graph = _graph()
    core = {m: sorted(i for i in imported if not i.startswith("rwe_cohorts.core")) for m, imported in graph.items()}
    assert {m: i for m, i in core.items() if m.startswith("rwe_cohorts.core") and i} == {}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_over_400_lines() -> None:
    roots = [*PACKAGES.values(), PROJECT_ROOT / "tests"]
    long = {
        str(p.relative_to(PROJECT_ROOT)): n
        for root in roots
        for p in root.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_sql_models_have_header_comments_and_no_string_formatting() -> None:
    for path in SQL_ROOT.glob("*/*.sql"):
        text = path.read_text()
        assert text.startswith(f"-- {path.parent.name}.{path.stem}"), f"{path}: header must name the relation"
        assert "grain:" in text.split("\n\n")[0] or "grain:" in text[:600], f"{path}: header must state the grain"
        assert "{" not in text.replace("{}", ""), f"{path}: looks like Python string formatting"


def test_model_parameters_ignore_comments() -> None:
    assert model_parameters("-- uses $not_this\nselect $a, $b, $a") == ["a", "b"]
