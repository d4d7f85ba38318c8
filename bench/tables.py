"""Summaries of the end-to-end benchmark (``rwe bench``): medians per stage and size, the growth exponent of each
stage's time with the number of patients, and the markdown tables.

Growth convention: the exponent ``b`` of ``seconds ~ a * n**b`` is fitted by least squares on log-log over the sizes
measured (two or more). ``n log n`` has a log-log slope of ``1 + (ln ln n2 - ln ln n1) / (ln n2 - ln n1)`` between
``n1`` and ``n2``: about 1.07 from 58,001 to 10,000,000. A stage is flagged when ``b > 1.15``, i.e. clearly worse
than ``n log n`` over the measured range. A stage dominated by fixed cost (imports, Great Expectations' per-check
overhead) shows ``b`` well below 1 until the sizes are large; the exponent describes the range measured, no more.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from bench.floor import multiple
from bench.measure import STAGES

GROWTH_LIMIT = 1.15
"""Flag a stage whose fitted time exponent exceeds this (n log n is about 1.07 over 58,001..10,000,000)."""

ROWS = (*STAGES, "startup", "whole run")


def fit_exponent(sizes: Sequence[float], values: Sequence[float]) -> float | None:
    """Least-squares slope of log(value) on log(size): ``b`` in ``value ~ a * size**b`` (None below two sizes)."""
    pairs = [(math.log(n), math.log(v)) for n, v in zip(sizes, values, strict=True) if n > 0 and v > 0]
    if len({x for x, _ in pairs}) < 2:
        return None
    mx = statistics.fmean(x for x, _ in pairs)
    my = statistics.fmean(y for _, y in pairs)
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    return sum((x - mx) * (y - my) for x, y in pairs) / sxx


def nlogn_exponent(sizes: Sequence[float]) -> float | None:
    """The log-log slope of ``n log n`` fitted over ``sizes`` (the reference the growth limit is set against)."""
    return fit_exponent(sizes, [n * math.log(n) for n in sizes]) if all(n > 1 for n in sizes) else None


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _max(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def summarise_size(size: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """Per row (stage, startup, whole run) of one size: median seconds over repetitions, peak RSS (largest of them),
    and the repetition count."""
    runs = [r for r in size["runs"] if r["returncode"] == 0]
    out: dict[str, dict[str, float | None]] = {}
    gen = size["generate"]
    out["generate"] = {
        "seconds": _median([g["wall_s"] for g in gen]),
        "peak_rss_mb": _max([g["peak_rss_mb"] for g in gen]),
        "repeats": len(gen),
    }
    names = sorted({name for r in runs for name in r["stages"]} - {"generate"})
    for name in names:
        out[name] = {
            "seconds": _median([r["stages"].get(name, {}).get("seconds") for r in runs]),
            "peak_rss_mb": _max([r["stages"].get(name, {}).get("peak_rss_mb") for r in runs]),
            "repeats": len(runs),
        }
    out["whole run"] = {
        "seconds": _median([r["wall_s"] for r in runs]),
        "peak_rss_mb": _max([r["peak_rss_mb"] for r in runs]),
        "repeats": len(runs),
    }
    floor = (size.get("floor") or {}).get("seconds")
    if floor:
        for row in out.values():
            row["floor_multiple"] = multiple(row["seconds"], floor)
        out["floor"] = {"seconds": floor, "peak_rss_mb": None, "repeats": len(size["floor"].get("passes") or [])}
    return out


def growth(sizes: Sequence[int], summaries: Sequence[Mapping[str, Mapping[str, float | None]]]) -> dict[str, Any]:
    """Per row: seconds at each size, the fitted time and memory exponents, and whether time grows faster than the
    limit. Only sizes where the row was measured enter its fit."""
    rows = [r for r in ROWS if any(r in s for s in summaries)]
    rows += sorted({r for s in summaries for r in s} - set(rows))
    out: dict[str, Any] = {"nlogn_exponent": nlogn_exponent(sizes), "limit": GROWTH_LIMIT, "rows": {}}
    for row in rows:
        points = [(n, s[row]) for n, s in zip(sizes, summaries, strict=True) if row in s]
        timed = [(n, t) for n, v in points if (t := v.get("seconds"))]
        peaks = [(n, p) for n, v in points if (p := v.get("peak_rss_mb"))]
        b_time = fit_exponent([n for n, _ in timed], [t for _, t in timed]) if timed else None
        b_mem = fit_exponent([n for n, _ in peaks], [m for _, m in peaks]) if peaks else None
        out["rows"][row] = {
            "seconds": {str(n): t for n, t in timed},
            "time_exponent": b_time,
            "memory_exponent": b_mem,
            "faster_than_nlogn": b_time is not None and b_time > GROWTH_LIMIT,
        }
    return out


def _secs(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 600:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def _mem(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1024:.2f} GB" if value >= 1024 else f"{value:.0f} MB"


def _exp(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(result: Mapping[str, Any]) -> str:
    """The stage x size table (median time, peak memory), the growth table, and the machine and command."""
    sizes = [s["patients"] for s in result["sizes"]]
    summaries = [s["summary"] for s in result["sizes"]]
    m = result["machine"]
    lines = [
        f"`{result['command']}` on {m['cpu']} ({m['cores']} cores, {m['ram_gb']:.0f} GB RAM), Python {m['python']},"
        f" commit {m['commit']}, {result['date']}; load average {result['load_average']} at the start.",
        "",
        "| stage | " + " | ".join(f"{n:,} patients" for n in sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    g = growth(sizes, summaries)
    for row in g["rows"]:
        cells = []
        for s in summaries:
            v = s.get(row)
            times = "" if v is None or v.get("floor_multiple") is None else f" ({v['floor_multiple']:.0f}x floor)"
            mem = "" if v is None or v.get("peak_rss_mb") is None else f", {_mem(v['peak_rss_mb'])}"
            cells.append("-" if v is None else f"{_secs(v['seconds'])}{times}{mem}")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    reps = ", ".join(f"{n:,}: {s['whole run']['repeats']}" for n, s in zip(sizes, summaries, strict=True))
    lines += [
        "",
        f"Each cell: median wall time over the runs (runs per size: {reps}; generate: "
        f"{result['repeats_generate']}), then the peak resident memory of any run. A stage is the sum of its Dagster "
        "steps; startup is the whole run minus its steps (interpreter, imports, Dagster and resource set-up, "
        "bookkeeping between steps, teardown). Each run is a fresh `rwe run` process on a fresh data folder. "
        "floor: one DuckDB scan of every delivered file (every value of every column), median of its passes, "
        "measured in the same benchmark run; (Nx floor) is a cell's time as a multiple of it.",
    ]
    if len(set(sizes)) >= 2:
        lines += [
            "",
            f"Growth with the number of patients: `seconds ~ a * n^b`, least squares on log-log over "
            f"{', '.join(f'{n:,}' for n in sizes)}; n log n has b = {_exp(g['nlogn_exponent'])} here; flagged "
            f"when b > {GROWTH_LIMIT}.",
            "",
            "| stage | time exponent b | memory exponent | worse than n log n? |",
            "|---|---|---|---|",
        ]
        for row, v in g["rows"].items():
            flag = "-" if v["time_exponent"] is None else ("**yes**" if v["faster_than_nlogn"] else "no")
            lines.append(f"| {row} | {_exp(v['time_exponent'])} | {_exp(v['memory_exponent'])} | {flag} |")
    failed = [f"{s['patients']:,}" for s in result["sizes"] if any(r["returncode"] != 0 for r in s["runs"])]
    if failed:
        lines += ["", f"**Failed runs** at {', '.join(failed)} patients (log tails in the JSON); not in the medians."]
    return "\n".join(lines) + "\n"
