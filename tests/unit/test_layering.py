"""House rules that keep the layers honest: the library never imports dagster; SQL binds values as parameters."""

from __future__ import annotations

import ast

from rwe_cohorts.core.warehouse import PROJECT_ROOT, SQL_ROOT, model_parameters


def test_library_never_imports_dagster() -> None:
    offenders = []
    for path in (PROJECT_ROOT / "src" / "rwe_cohorts").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "dagster" or n.startswith(("dagster.", "dagster_", "pipelines")) for n in names):
                offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert not offenders, f"library modules importing dagster / pipelines: {offenders}"


def test_sql_models_have_header_comments_and_no_string_formatting() -> None:
    for path in SQL_ROOT.glob("*/*.sql"):
        text = path.read_text()
        assert text.startswith(f"-- {path.parent.name}.{path.stem}"), f"{path}: header must name the relation"
        assert "grain:" in text.split("\n\n")[0] or "grain:" in text[:600], f"{path}: header must state the grain"
        assert "{" not in text.replace("{}", ""), f"{path}: looks like Python string formatting"


def test_model_parameters_ignore_comments() -> None:
    assert model_parameters("-- uses $not_this\nselect $a, $b, $a") == ["a", "b"]
