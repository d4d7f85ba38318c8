"""Start-up stays light: loading the Dagster code location (what ``dg dev``, ``rwe status`` and every run do first)
imports none of the heavy analysis libraries; the stage packages export lazily (``rwe_cohorts.core.lazy``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("great_expectations", "statsmodels", "lifelines", "matplotlib", "scipy", "sklearn")


def _loaded_after(statement: str) -> list[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    return [m for m in HEAVY if m in loaded]


@pytest.mark.parametrize(
    "statement",
    [
        "import pipelines.definitions",
        # rwe_cohorts.survival binds ``kaplan_meier`` eagerly (scipy): it is imported only where survival runs
        "import rwe_cohorts.matching, rwe_cohorts.quality",
    ],
)
def test_start_up_imports_no_heavy_library(statement: str) -> None:
    assert _loaded_after(statement) == []


def test_a_lazy_export_loads_its_module_on_first_use() -> None:
    assert "statsmodels" in _loaded_after("from rwe_cohorts.matching import fit_propensity")
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        import rwe_cohorts.matching as matching

        matching.no_such_name  # noqa: B018
