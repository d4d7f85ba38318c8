"""Report figures that are not owned by a statistics package: the hazard-ratio forest plot, with the published HRs
beside ours.

The plot is drawn on the Agg canvas directly (no pyplot state) and returned as PNG bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

PUBLISHED_COLOUR = "#b35900"


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


@dataclass(frozen=True)
class PublishedHazardRatio:
    """A published HR drawn beside ours in the forest plot (the published P's test is not stated, so one P)."""

    analysis: str
    estimate: float
    ci_lower: float
    ci_upper: float
    p_value: float | None = None


def _p(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.3f}"


def _forest_rows(hazard_ratios: pl.DataFrame, published: Sequence[PublishedHazardRatio]) -> list[dict[str, Any]]:
    """Our rows in mart order, each analysis's published HR right after that analysis's rows."""
    rows: list[dict[str, Any]] = []
    by_analysis = {p.analysis: p for p in published}
    ours = hazard_ratios.to_dicts()
    for i, r in enumerate(ours):
        rows.append({**r, "source": "reproduction"})
        last_of_analysis = i + 1 == len(ours) or ours[i + 1]["analysis"] != r["analysis"]
        pub = by_analysis.pop(r["analysis"], None) if last_of_analysis else None
        if pub is not None:
            rows.append(
                {
                    "analysis": pub.analysis,
                    "model": "published",
                    "hr": pub.estimate,
                    "hr_ci_lower": pub.ci_lower,
                    "hr_ci_upper": pub.ci_upper,
                    "p_value": pub.p_value,
                    "source": "published",
                }
            )
    return rows


# Drawn at this size and resolution, the PNG is about as wide as the report's text column (1100 px less padding), so
# the browser scales it by at most ~0.9: FONT_PT points at DPI come out at FONT_PT * DPI / 72 * 0.9 >= 12 px.
FIGURE_WIDTH_IN = 11.0
DPI = 110
FONT_PT = 10.0


def forest_plot(
    hazard_ratios: pl.DataFrame,
    *,
    published: Sequence[PublishedHazardRatio] = (),
    reference_hr: float | None = None,
    title: str | None = None,
) -> bytes:
    """HR with 95% Wald CI per analysis and model (log scale), the HR and the three P values in a column beside it.

    ``hazard_ratios`` is ``marts.hazard_ratios``; rows not estimated are listed with their status, and a row whose
    HR or CI limit is not a finite positive number (a degenerate fit, e.g. two exposed against two comparators) is
    written out instead of drawn. ``published`` HRs are drawn in orange (diamonds) under the analysis they belong
    to, labelled "published"; ``reference_hr`` is drawn as a dashed vertical line. The text sits in its own panel
    inside the figure (not past the axes), so the image keeps its drawn width and its labels stay legible at page
    width.
    """
    rows = _forest_rows(hazard_ratios, published)
    n = len(rows)
    fig = Figure(figsize=(FIGURE_WIDTH_IN, 0.36 * n + 1.3))
    grid = fig.add_gridspec(1, 2, width_ratios=(1.15, 1.0), wspace=0.02)
    ax, text_ax = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])

    def drawable(r: dict[str, Any]) -> bool:
        values = (r.get("hr"), r.get("hr_ci_lower"), r.get("hr_ci_upper"))
        return all(v is not None and math.isfinite(v) and v > 0 for v in values)

    finite = [r for r in rows if drawable(r)]
    lo = min([r["hr_ci_lower"] for r in finite] + [0.5]) * 0.8
    hi = max([r["hr_ci_upper"] for r in finite] + [2.0]) * 1.25
    labels = []
    for i, r in enumerate(rows):
        y = n - 1 - i
        labels.append(f"{r['analysis']} / {r['model']}")
        if not drawable(r):
            hr = r.get("hr")
            text = "not estimable" if hr is None or not math.isfinite(hr) else f"HR {hr:.3g}, CI not finite"
            ax.text(1.0, y, text, va="center", ha="center", fontsize=FONT_PT, color="#c62828")
            continue
        if r["source"] == "published":
            color, marker = PUBLISHED_COLOUR, "D"
            p = r.get("p_value")
            tests = f"P {p} (published; test not stated)" if p is not None else "published"
        else:
            color = "#1f4e79" if r["model"] in ("unstratified", "weighted_robust") else "#7a9cc6"
            marker = "s"
            tests = f"P Wald {_p(r['p_wald'])}  LR {_p(r['p_lr'])}  score {_p(r['p_score'])}"
        ax.plot([r["hr_ci_lower"], r["hr_ci_upper"]], [y, y], color=color, lw=2)
        ax.plot([r["hr"]], [y], marker, color=color, ms=7)
        text_ax.text(
            0.0,
            y,
            f"{r['hr']:.2f} ({r['hr_ci_lower']:.2f}-{r['hr_ci_upper']:.2f})  {tests}",
            va="center",
            fontsize=FONT_PT,
            color=color if r["source"] == "published" else "black",
        )
    ax.axvline(1.0, color="black", lw=0.8)
    if reference_hr is not None:
        ax.axvline(reference_hr, color=PUBLISHED_COLOUR, lw=1, ls="--", label=f"published HR {reference_hr}")
        ax.legend(loc="lower left", fontsize=FONT_PT, frameon=False)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    ticks = [t for t in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0) if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FixedFormatter([f"{t:g}" for t in ticks]))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.tick_params(axis="x", labelsize=FONT_PT)
    ax.set_yticks(range(n))
    ax.set_yticklabels(list(reversed(labels)), fontsize=FONT_PT)
    for tick, r in zip(ax.get_yticklabels(), reversed(rows), strict=True):
        if r["source"] == "published":
            tick.set_color(PUBLISHED_COLOUR)
    ax.set_ylim(-0.6, n - 0.4)
    text_ax.set_ylim(-0.6, n - 0.4)
    text_ax.set_xlim(0, 1)
    text_ax.axis("off")
    text_ax.set_title("HR (95% CI) and P values", fontsize=FONT_PT, loc="left")
    ax.set_xlabel("Hazard ratio (log scale), 95% Wald CI", fontsize=FONT_PT)
    ax.set_title(title or "Hazard ratios, every analysis and model", fontsize=FONT_PT + 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)
