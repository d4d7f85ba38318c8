"""The end-to-end benchmark (``rwe bench end-to-end``, ``bench/end_to_end.py``) at a tiny size, so it cannot rot,
plus its arithmetic: the growth exponent fit, the n log n reference, per-window memory peaks and the markdown tables.

The real benchmark (58,001 to 10,000,000 patients) is too slow for CI; this runs one 8,000-patient delivery through
``rwe bench`` once (a fresh ``rwe run`` process, as the full benchmark does), with the robustness loop cut to 10
match orders as the other end-to-end tests do.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.measure import STAGES, gaps, window_peak
from bench.tables import GROWTH_LIMIT, fit_exponent, growth, markdown, nlogn_exponent
from pipelines import cli
from rwe_cohorts.core.warehouse import PROJECT_ROOT

ROWS = (*STAGES, "startup", "whole run")


def test_fit_exponent_recovers_a_known_power() -> None:
    sizes = [58_001, 1_000_000, 10_000_000]
    assert fit_exponent(sizes, [0.002 * n**1.3 for n in sizes]) == pytest.approx(1.3)
    assert fit_exponent(sizes, [7.0 for _ in sizes]) == pytest.approx(0.0)
    assert fit_exponent([2_000, 4_000], [1.0, 2.0]) == pytest.approx(1.0)
    assert fit_exponent([58_001], [3.0]) is None  # one size: no fit
    # Least squares on log-log: noise of a constant factor at one size shifts b, a power law recovers it.
    noisy = [0.5 * n * (1.1 if i == 1 else 1.0) for i, n in enumerate(sizes)]
    assert 0.95 < (fit_exponent(sizes, noisy) or 0) < 1.05


def test_nlogn_reference_is_under_the_growth_limit() -> None:
    b = nlogn_exponent([58_001, 1_000_000, 10_000_000])
    assert b is not None and 1.05 < b < 1.1 < GROWTH_LIMIT
    assert nlogn_exponent([58_001]) is None


def test_window_peak_sees_a_spike_between_samples() -> None:
    # (time, rss, high-water mark): a spike to 900 MB between the samples at t=2 and t=3 shows only in the mark.
    samples = [(0.0, 100.0, 100.0), (1.0, 200.0, 200.0), (2.0, 210.0, 210.0), (3.0, 220.0, 900.0), (4.0, 230.0, 900.0)]
    assert window_peak(samples, 2.1, 2.9, exit_hwm=900.0) == 900.0  # no sample inside; the mark rose around it
    # The mark rose from 100 to 210 between the samples around [0.5, 1.5]: it may have been reached inside, so the
    # window gets it (an overestimate of at most one sampling interval's growth, never an underestimate).
    assert window_peak(samples, 0.5, 1.5, exit_hwm=900.0) == 210.0
    assert window_peak(samples, 3.5, 3.9, exit_hwm=900.0) == 230.0  # the mark did not rise: sampled RSS only
    assert window_peak([], 0.0, 1.0, exit_hwm=1.0) is None
    assert gaps(0.0, 10.0, [(1.0, 2.0), (2.0, 5.0), (7.0, 9.0)]) == [(0.0, 1.0), (5.0, 7.0), (9.0, 10.0)]


def _fake_size(n: int, seconds: dict[str, float]) -> dict[str, Any]:
    stages = {k: {"seconds": v, "peak_rss_mb": 500.0 + n / 1000} for k, v in seconds.items()}
    return {
        "patients": n,
        "generate": [{"wall_s": 1.0, "peak_rss_mb": 300.0, "returncode": 0}],
        "runs": [{"returncode": 0, "wall_s": sum(seconds.values()), "peak_rss_mb": 600.0 + n / 1000, "stages": stages}],
        "summary": {
            **{k: {**v, "repeats": 1} for k, v in stages.items()},
            "generate": {"seconds": n / 1000, "peak_rss_mb": 300.0, "repeats": 1},
            "whole run": {"seconds": sum(seconds.values()), "peak_rss_mb": 600.0, "repeats": 1},
        },
    }


def test_growth_flags_a_superlinear_stage_and_markdown_shows_it() -> None:
    sizes = [10_000, 100_000]
    fake = [_fake_size(n, {"cohort": n / 1e4, "matching": (n / 1e4) ** 2, "startup": 20.0}) for n in sizes]
    g = growth(sizes, [s["summary"] for s in fake])
    assert g["rows"]["cohort"]["time_exponent"] == pytest.approx(1.0)
    assert not g["rows"]["cohort"]["faster_than_nlogn"]
    assert g["rows"]["matching"]["time_exponent"] == pytest.approx(2.0)
    assert g["rows"]["matching"]["faster_than_nlogn"]
    assert g["rows"]["startup"]["time_exponent"] == pytest.approx(0.0)
    machine = {"cpu": "test cpu", "cores": 2, "ram_gb": 8.0, "python": "3.11", "commit": "abc"}
    md = markdown(
        {"command": "rwe bench", "date": "today", "machine": machine, "load_average": "0.0", "repeats_generate": 1}
        | {"sizes": fake}
    )
    assert "| matching | 2.00 |" in md and "**yes**" in md
    assert f"n log n has b = {nlogn_exponent(sizes):.2f}" in md
    assert math.isclose(g["nlogn_exponent"], nlogn_exponent(sizes) or 0)


def test_bench_smoke(tmp_path: Path) -> None:
    """``rwe bench`` end to end at 8,000 patients (the default seed's smallest size here with eligible NTRK+
    patients in every analysis since the generator's recalibration, issue 21): every stage timed and its peak
    memory measured, JSON and markdown written, every Dagster step of the study job mapped to a stage."""
    spec = yaml.safe_load((PROJECT_ROOT / "pipelines" / "studies" / "ntrk_hibar2022.yaml").read_text())
    spec["survival"]["robustness_match_orders"] = 10
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    out = tmp_path / "results"
    argv = [
        "bench",
        "end-to-end",
        "--sizes",
        "8000",
        "--repeats",
        "1",
        "--spec",
        str(tmp_path / "spec.yaml"),
        "--out",
        str(out),
    ]
    assert cli.main([*argv, "--work-dir", str(tmp_path / "work")]) == 0

    result = json.loads((out / "latest.json").read_text())
    assert result["machine"]["cores"] and result["machine"]["ram_gb"] > 0 and result["machine"]["packages"]
    assert set(result["step_stages"].values()) <= set(STAGES), result["step_stages"]
    [size] = result["sizes"]
    assert size["patients"] == 8000 and size["rows_written"] > 8000
    [run] = size["runs"]
    assert run["returncode"] == 0 and run["run_id"] and run["rss_samples"] > 0
    assert {s["stage"] for s in run["steps"]} == set(STAGES) - {"generate"}
    assert all(s["status"] == "success" for s in run["steps"])
    assert run["stages"]["startup"]["seconds"] == pytest.approx(run["wall_s"] - sum(s["seconds"] for s in run["steps"]))
    for row in ROWS:
        cell = size["summary"][row]
        assert cell["seconds"] > 0 and cell["peak_rss_mb"] > 0, (row, cell)
        assert cell["peak_rss_mb"] <= size["summary"]["whole run"]["peak_rss_mb"] + 1 or row == "generate"
    assert size["floor"]["seconds"] > 0 and size["floor"]["files"] >= 10 and len(size["floor"]["passes"]) == 3
    md = (out / "latest.md").read_text()
    assert "| stage | 8,000 patients |" in md
    whole = size["summary"]["whole run"]
    assert whole["floor_multiple"] == pytest.approx(whole["seconds"] / size["floor"]["seconds"])
    assert "| floor | " in md and f"({whole['floor_multiple']:.0f}x floor)" in md
    for row in ROWS:
        assert f"| {row} | " in md
    assert list(out.glob("bench_*.json")) and list(out.glob("bench_*.md"))
    assert not list((tmp_path / "work").iterdir())  # temporary roots removed
