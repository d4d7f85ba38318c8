"""Every SQL model's header comment states its grain, and its inputs and bound parameters exactly as the SQL uses
them (issue 5: "each with a header comment (grain, inputs, bound parameters)"), so the header cannot drift."""

from __future__ import annotations

import re

import pytest

from pipelines.common import sql_dependencies
from rwe_cohorts.core.warehouse import SQL_ROOT, model_parameters

MODELS = sorted(SQL_ROOT.glob("*/*.sql"))
_RELATION = re.compile(r"\b(?:raw|staging|intermediate|marts|qa)\.[a-z_][a-z0-9_]*\b")


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: f"{p.parent.name}.{p.stem}")
def test_header_states_grain_inputs_and_parameters(path) -> None:  # type: ignore[no-untyped-def]
    relation = f"{path.parent.name}.{path.stem}"
    text = path.read_text()
    header = _header(text)
    assert header.startswith(relation) and "grain:" in header, relation
    inputs = re.search(r"inputs:(.*?)parameters:", header)
    assert inputs is not None, f"{relation}: header must list 'inputs:' then 'parameters:'"
    assert set(_RELATION.findall(inputs.group(1))) == set(sql_dependencies(text, relation)), relation
    named = set(re.findall(r"\$([a-z_][a-z0-9_]*)", header))
    assert named == set(model_parameters(text)), f"{relation}: header parameters differ from the bound ones"
    if not named:
        assert re.search(r"parameters:\s*none", header), f"{relation}: say 'parameters: none'"
