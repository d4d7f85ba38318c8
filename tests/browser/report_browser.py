"""Open an HTML file in headless Chromium (Playwright driving the system browser) with the network cut off, and
report what a reader's browser would see: console errors, page errors, failed or blocked requests, which elements
are visible, images that did not decode, and a full-page PNG screenshot.

Only ``file:`` and ``data:`` URLs may load; any other request is aborted and counted as a failure, so a report that
needs the network fails here exactly as it would on an offline machine. The browser is the system Chromium
(``RWE_CHROMIUM``, else ``chromium`` / ``chromium-browser`` on PATH, else ``/usr/bin/chromium``; ``.ci/install-browser``
installs it): Playwright's own browser download is not used.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu")
LOCAL_SCHEMES = ("file:", "data:")


def find_chromium() -> str | None:
    """The Chromium executable to drive, or None when none is installed."""
    candidates = [os.environ.get("RWE_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")]
    candidates.append("/usr/bin/chromium")
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return c
    return None


@dataclass
class PageReport:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    visible: dict[str, bool] = field(default_factory=dict)
    broken_images: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    browser_version: str = ""
    evaluated: object = None  # what ``evaluate`` returned, once the page and its fonts had loaded

    @property
    def problems(self) -> list[str]:
        """Everything that should not happen when a self-contained report opens offline."""
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"page error: {m}" for m in self.page_errors]
            + [f"failed request: {u}" for u in self.failed_requests]
            + [f"blocked (non-local) request: {u}" for u in self.blocked_requests]
            + [f"image did not load: {i}" for i in self.broken_images]
        )


_BROKEN_IMAGES_JS = """() => Array.from(document.images)
    .filter(img => !img.complete || img.naturalWidth === 0)
    .map(img => img.id || img.closest('[id]')?.id || img.alt || '(unnamed image)')"""


def inspect_page(
    html_file: Path,
    *,
    element_ids: tuple[str, ...],
    screenshot: Path,
    chromium: str,
    timeout_ms: int = 30_000,
    evaluate: str | None = None,
) -> PageReport:
    """Load ``html_file`` offline in headless Chromium; check each id is visible; write a full-page screenshot; with
    ``evaluate`` (a JavaScript function), run it once the page and its fonts have loaded and keep its result."""
    from playwright.sync_api import ConsoleMessage, Request, Route, sync_playwright

    report = PageReport()

    def route(r: Route) -> None:
        if r.request.url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            report.blocked_requests.append(r.request.url)
            r.abort("blockedbyclient")

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            report.console_errors.append(message.text)

    def failed(request: Request) -> None:
        if request.url not in report.blocked_requests:
            report.failed_requests.append(f"{request.url} ({request.failure})")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS), timeout=timeout_ms)
        try:
            report.browser_version = browser.version
            page = browser.new_page(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
            page.set_default_timeout(timeout_ms)
            page.route("**/*", route)
            page.on("console", console)
            page.on("pageerror", lambda exc: report.page_errors.append(str(exc)))
            page.on("requestfailed", failed)
            page.goto(html_file.resolve().as_uri(), wait_until="load")
            for element_id in element_ids:
                locator = page.locator(f"#{element_id}")
                box = locator.bounding_box() if locator.count() == 1 else None
                report.visible[element_id] = bool(locator.count() == 1 and locator.is_visible() and box)
                report.visible[element_id] &= bool(box and box["width"] > 0 and box["height"] > 0)
            report.broken_images = page.evaluate(_BROKEN_IMAGES_JS)
            if evaluate is not None:
                page.evaluate("() => document.fonts.ready.then(() => true)")
                report.evaluated = page.evaluate(evaluate)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            report.screenshot = screenshot
        finally:
            browser.close()
    return report


class _ResourceScanner(HTMLParser):
    """Collects every reference that would make a browser fetch something that is not inside the file."""

    RESOURCE_ATTRS = ("src", "srcset", "poster", "data", "background")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def _css(self, text: str, where: str) -> None:
        if re.search(r"@import", text, re.IGNORECASE):
            self.found.append(f"{where}: @import")
        for url in re.findall(r"url\(\s*['\"]?([^'\")\s]*)", text, re.IGNORECASE):
            if not url.startswith(("data:", "#")):
                self.found.append(f"{where}: url({url})")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script":
            self.found.append(f"<script{' src=' + values['src'] if 'src' in values else ''}>")
        if tag == "link" and not values.get("href", "").startswith("data:"):
            self.found.append(f"<link href={values.get('href', '')}>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.found.append("<meta http-equiv=refresh>")
        for attr in self.RESOURCE_ATTRS:
            if attr in values and not values[attr].startswith("data:"):
                self.found.append(f"<{tag} {attr}={values[attr][:80]}>")
        if "style" in values:
            self._css(values["style"], f"<{tag} style>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")


def external_references(html_text: str) -> list[str]:
    """Scripts, stylesheets, fonts, images, frames or CSS urls that a browser would fetch from outside the file
    (anything but ``data:`` URIs); plain ``<a href>`` links are navigation, not resources, and are allowed."""
    scanner = _ResourceScanner()
    scanner.feed(html_text)
    scanner.close()
    return scanner.found
