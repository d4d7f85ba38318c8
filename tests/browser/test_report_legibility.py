"""The report's figures are legible at page width in a real browser: the forest plot's labels (drawn at a known
point size and resolution) are at least 11 px tall once Chromium has scaled the image to the text column."""

from __future__ import annotations

from pathlib import Path

from rwe_cohorts.report.plots import DPI, FONT_PT
from tests.browser.report_browser import inspect_page

SCALE_JS = """() => {
    const img = document.querySelector('#forest-plot img');
    return {rendered: img.getBoundingClientRect().width, natural: img.naturalWidth};
}"""


def test_forest_plot_labels_are_at_least_11_px_at_page_width(study_report_file: Path, chromium: str) -> None:
    page = inspect_page(
        study_report_file,
        element_ids=("forest-plot",),
        screenshot=study_report_file.parent / "legibility.png",
        chromium=chromium,
        evaluate=SCALE_JS,
    )
    assert page.problems == []
    size = page.evaluated
    assert isinstance(size, dict) and size["natural"] > 0
    label_px = FONT_PT * DPI / 72 * size["rendered"] / size["natural"]
    assert label_px >= 11, f"forest plot labels {label_px:.1f} px at page width ({size})"
