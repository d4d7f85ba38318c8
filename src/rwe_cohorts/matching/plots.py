"""Matching diagnostics as PNG bytes: Love plot and propensity-score overlap.

Figures are drawn on the Agg canvas directly (``matplotlib.figure.Figure`` + ``FigureCanvasAgg``): no pyplot, no
global backend switch, no state left behind, safe in worker processes.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rwe_cohorts.matching.balance import BalanceInputError

SMD_THRESHOLD = 0.1


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
    return buffer.getvalue()


def love_plot(balance: pl.DataFrame, *, threshold: float = SMD_THRESHOLD, title: str | None = None) -> bytes:
    """|SMD| before (open circles) and after matching (filled) per covariate level, with the threshold line.

    ``balance`` is the output of ``covariate_balance``; rows are ordered by |SMD| before matching (largest on top).
    Undefined (infinite) SMDs are drawn at the right edge with an "x".
    """
    needed = {"covariate", "level", "smd_before", "smd_after"}
    if not needed <= set(balance.columns):
        raise BalanceInputError(f"love_plot needs columns {sorted(needed)}; got {balance.columns}")
    table = balance.with_columns(
        pl.when(pl.col("level").is_null())
        .then(pl.col("covariate"))
        .otherwise(pl.format("{}: {}", "covariate", "level"))
        .alias("label"),
        pl.col("smd_before").abs().alias("before"),
        pl.col("smd_after").abs().alias("after"),
    ).sort("before", nulls_last=False)
    labels = table["label"].to_list()
    before = table["before"].to_numpy().astype(float)
    after = table["after"].to_numpy().astype(float)
    finite = np.concatenate([before[np.isfinite(before)], after[np.isfinite(after)], [threshold]])
    edge = float(finite.max()) * 1.1
    y = np.arange(len(labels))
    fig = Figure(figsize=(7, 0.28 * len(labels) + 1.5))
    ax = fig.add_subplot()
    for values, style, name in ((before, "o", "before matching"), (after, "o", "after matching")):
        filled = name.startswith("after")
        ok = np.isfinite(values)
        ax.scatter(
            values[ok],
            y[ok],
            marker=style,
            facecolors="black" if filled else "none",
            edgecolors="black",
            label=name,
            zorder=3,
        )
        ax.scatter(np.full((~ok).sum(), edge), y[~ok], marker="x", color="black", zorder=3)
    ax.axvline(threshold, linestyle="--", color="grey", label=f"|SMD| = {threshold:g}")
    ax.set_yticks(y, labels)
    ax.set_xlim(0, edge * 1.02)
    ax.set_xlabel("absolute standardised mean difference")
    ax.set_title(title or "Covariate balance")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig)


def ps_overlap_plot(
    scores: pl.DataFrame,
    *,
    treatment_col: str = "is_exposed",
    ps_col: str = "ps",
    bins: int = 40,
    title: str | None = None,
    count_text: Callable[[int], str] | None = None,
) -> bytes:
    """Density histograms of ``ps_col`` by arm on common bins (densities, since arm sizes differ by ~1000x).

    ``count_text`` renders the arm sizes in the legend (e.g. with small-cell suppression); default ``1,234``.
    """
    for col in (treatment_col, ps_col):
        if col not in scores.columns:
            raise BalanceInputError(f"ps_overlap_plot needs column {col!r}; got {scores.columns}")
    values = scores[ps_col].cast(pl.Float64).to_numpy()
    treated = scores[treatment_col].to_numpy().astype(bool)
    if not np.all(np.isfinite(values)) or treated.all() or not treated.any():
        raise BalanceInputError(f"ps_overlap_plot needs finite {ps_col!r} and both arms")
    edges = np.histogram_bin_edges(values, bins=bins)
    shown = count_text or "{:,}".format
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    for mask, name, color in ((~treated, "control", "tab:blue"), (treated, "exposed", "tab:red")):
        ax.hist(values[mask], bins=edges.tolist(), density=True, histtype="step", linewidth=1.5, color=color)
        ax.hist(
            values[mask],
            bins=edges.tolist(),
            density=True,
            alpha=0.25,
            color=color,
            label=f"{name} (n={shown(int(mask.sum()))})",
        )
    ax.set_xlabel(ps_col)
    ax.set_ylabel("density")
    ax.set_title(title or "Propensity score overlap")
    ax.legend(fontsize="small")
    return _png(fig)
