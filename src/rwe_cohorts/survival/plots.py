"""Kaplan-Meier figure: step curves per arm with pointwise CI bands and a numbers-at-risk table underneath.

The curves, CIs and risk table come unchanged from :class:`~rwe_cohorts.survival.km_analysis.KaplanMeierAnalysis`
or from the marts that store it (``marts.km_curves``, ``survival_summary``, ``risk_table``; delayed-entry risk sets,
so the at-risk counts can rise after 0). Rendered on a matplotlib ``Figure`` with the Agg
canvas (no pyplot global state, no display needed); returns PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping

import numpy as np
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rwe_cohorts.survival.km_analysis import KaplanMeierAnalysis

ARM_COLOURS = ("#c0392b", "#2c3e50", "#16a085", "#8e44ad")


def _step_arrays(curve: pl.DataFrame, column: str, start: float) -> tuple[np.ndarray, np.ndarray]:
    times = np.concatenate([[0.0], curve["time"].to_numpy()])
    values = np.concatenate([[start], curve[column].to_numpy()])
    return times, values


def plot_kaplan_meier(
    analysis: KaplanMeierAnalysis,
    title: str | None = None,
    max_months: float | None = None,
    xlabel: str = "Months since index date",
    ylabel: str = "Overall survival",
    dpi: int = 120,
    count_text: Callable[[int], str] | None = None,
) -> bytes:
    """Render the KM curves of ``analysis`` with CI bands and the risk table; return PNG bytes.

    ``count_text`` renders the counts drawn (legend n, numbers at risk), e.g. with small-cell suppression.
    """
    return plot_survival_curves(
        analysis.curves,
        analysis.summary,
        analysis.at_risk,
        title=title or f"Kaplan-Meier ({analysis.settings.conf_level:.0%} CI, {analysis.settings.conf_type})",
        max_months=max_months,
        xlabel=xlabel,
        ylabel=ylabel,
        dpi=dpi,
        count_text=count_text or _count,
    )


def _count(n: int) -> str:
    return str(n)


def plot_survival_curves(
    curves: pl.DataFrame,
    summary: pl.DataFrame,
    at_risk: pl.DataFrame,
    *,
    title: str,
    max_months: float | None = None,
    xlabel: str = "Months since index date",
    ylabel: str = "Overall survival",
    dpi: int = 120,
    count_text: Callable[[int], str] = _count,
    arm_notes: Mapping[str, str] | None = None,
) -> bytes:
    """KM step curves with CI bands per arm and the numbers-at-risk table underneath, from plain frames.

    ``curves``: arm, time, n_censor, survival, ci_lower, ci_upper (``marts.km_curves`` of one analysis);
    ``summary``: arm, n, median, one row per arm in legend order (``marts.survival_summary``); ``at_risk``: arm,
    time_months, n_at_risk (``marts.risk_table``). ``count_text`` renders every count drawn (n in the legend and
    the risk table), e.g. with small-cell suppression; ``arm_notes`` adds text to an arm's legend entry.
    """
    ticks = sorted(set(at_risk["time_months"].to_list()))
    x_max = max_months if max_months is not None else (max(ticks) if ticks else None)
    arms = summary["arm"].to_list()
    notes = arm_notes or {}
    fig = Figure(figsize=(8, 6.2))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=(4.2, 0.35 + 0.3 * len(arms)), hspace=0.32)
    ax = fig.add_subplot(grid[0])
    for i, arm in enumerate(arms):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        curve = curves.filter(pl.col("arm") == arm).sort("time")
        t, s = _step_arrays(curve, "survival", 1.0)
        _, lo = _step_arrays(curve, "ci_lower", 1.0)
        _, hi = _step_arrays(curve, "ci_upper", 1.0)
        row = summary.filter(pl.col("arm") == arm).row(0, named=True)
        median = row["median"]
        median_text = f"{median:.1f} mo" if median is not None and np.isfinite(median) else "not reached"
        note = f"; {notes[arm]}" if arm in notes else ""
        label = f"{arm} (n={count_text(int(row['n']))}, median {median_text}{note})"
        ax.step(t, s, where="post", color=colour, label=label, linewidth=1.6)
        ax.fill_between(t, lo, hi, step="post", color=colour, alpha=0.15, linewidth=0)
        censored = curve.filter(pl.col("n_censor") > 0)
        ax.plot(censored["time"].to_numpy(), censored["survival"].to_numpy(), "|", color=colour, markersize=6)
    ax.set_ylim(0, 1.02)
    if x_max is not None:
        ax.set_xlim(0, x_max)
    if ticks:
        ax.set_xticks(ticks)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", frameon=False)
    ax.set_title(title)

    table = fig.add_subplot(grid[1], sharex=ax)
    table.set_title("Number at risk", fontsize=9, loc="left")
    for i, arm in enumerate(arms):
        counts = at_risk.filter(pl.col("arm") == arm).sort("time_months")
        y = len(arms) - i
        for t_month, n_risk in zip(counts["time_months"].to_list(), counts["n_at_risk"].to_list(), strict=True):
            table.text(t_month, y, count_text(int(n_risk)), ha="center", va="center", fontsize=8)
        table.text(-0.05, y, arm, ha="right", va="center", fontsize=8, transform=table.get_yaxis_transform())
    table.set_ylim(0.5, len(arms) + 0.5)
    table.axis("off")

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()
