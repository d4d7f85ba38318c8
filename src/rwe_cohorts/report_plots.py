"""Report figures that are not owned by a statistics package: the hazard-ratio forest plot and the attrition flow.

Drawn on the Agg canvas directly (no pyplot state), returned as PNG bytes.
"""

from __future__ import annotations

import io
import math

import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def forest_plot(hazard_ratios: pl.DataFrame, *, reference_hr: float | None = None, title: str | None = None) -> bytes:
    """HR with 95% Wald CI per analysis and model (log scale), the three P values printed beside each row.

    ``hazard_ratios`` is ``marts.hazard_ratios``; rows not estimated are listed with their status.
    ``reference_hr`` (e.g. the published HR) is drawn as a dashed line.
    """
    rows = hazard_ratios.to_dicts()
    fig = Figure(figsize=(10, 0.42 * len(rows) + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    finite = [r for r in rows if r.get("hr") is not None and math.isfinite(r["hr"])]
    lo = min([r["hr_ci_lower"] for r in finite] + [0.5]) * 0.8
    hi = max([r["hr_ci_upper"] for r in finite] + [2.0]) * 1.25
    labels = []
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        labels.append(f"{r['analysis']} / {r['model']}")
        if r.get("hr") is None or not math.isfinite(r["hr"]):
            ax.text(1.0, y, "not estimable", va="center", ha="center", fontsize=8, color="#c62828")
            continue
        color = "#1f4e79" if r["model"] in ("unstratified", "weighted_robust") else "#7a9cc6"
        ax.plot([r["hr_ci_lower"], r["hr_ci_upper"]], [y, y], color=color, lw=2)
        ax.plot([r["hr"]], [y], "s", color=color, ms=6)
        ax.text(
            hi * 1.05,
            y,
            f"{r['hr']:.2f} ({r['hr_ci_lower']:.2f}-{r['hr_ci_upper']:.2f})  "
            f"P Wald {r['p_wald']:.3f}  LR {r['p_lr']:.3f}  score {r['p_score']:.3f}",
            va="center",
            fontsize=8,
        )
    ax.axvline(1.0, color="black", lw=0.8)
    if reference_hr is not None:
        ax.axvline(reference_hr, color="#b35900", lw=1, ls="--", label=f"published HR {reference_hr}")
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0) if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FixedFormatter([f"{t:g}" for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(list(reversed(labels)), fontsize=8)
    ax.set_xlabel("Hazard ratio (log scale), 95% Wald CI")
    ax.set_title(title or "Hazard ratios, every analysis and model", fontsize=10)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)


def attrition_flow_html(attrition: pl.DataFrame, *, min_cell: int) -> str:
    """A CONSORT-style flow: one box per step (patients remaining per arm) with the removed counts beside it."""
    arms = sorted(attrition["arm"].unique().to_list())
    steps = attrition.sort("step_order")["step_order"].unique(maintain_order=True).to_list()

    def show(n: int) -> str:
        return f"&lt;{min_cell}" if 0 < n < min_cell else f"{n:,}"

    parts = ["<div class='flow'>"]
    for step in steps:
        rows = {r["arm"]: r for r in attrition.filter(pl.col("step_order") == step).to_dicts()}
        desc = next(iter(rows.values()))["description"]
        remaining = " &middot; ".join(f"{a}: {show(int(rows[a]['patients_remaining']))}" for a in arms if a in rows)
        removed = " &middot; ".join(
            f"{a}: {show(int(rows[a]['patients_removed']))}" for a in arms if a in rows and rows[a]["patients_removed"]
        )
        parts.append(f"<div class='step'><div class='box'><b>{desc}</b><br/>{remaining}</div>")
        if removed:
            parts.append(f"<div class='removed'>excluded &rarr; {removed}</div>")
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)
