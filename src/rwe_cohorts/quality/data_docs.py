"""Data Docs that work offline, and the page of each validation.

Great Expectations' Data Docs load jQuery, Bootstrap, bootstrap-table, Font Awesome, vega and a logo from public
CDNs; on a machine without internet access the index then lists no validation and the pages lose their pass / fail
marks. ``vendor/data-docs`` holds those files at pinned versions with their licences (``assets.json`` maps each CDN
URL to its file; ``vendor.py`` there fetched them). :func:`localize` copies them into the site (``static/vendor``)
and points every page written since the last call at them, so nothing is fetched from outside the site.

The Data Docs are restricted: the validation pages show example values and keys of failing rows (patient keys).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from rwe_cohorts.core.warehouse import PROJECT_ROOT

VENDOR = PROJECT_ROOT / "vendor" / "data-docs"
# GX's logos (light and dark) from its S3 bucket: the site's own static copy of the logo serves for both
_LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"'\s)]*?/[a-z_-]*logo[a-z_-]*\.png(\?[^\"'\s)]*)?")
_STAMP = ".localized"
# Subresource-integrity and CORS attributes of a tag pointing into static/vendor: a browser refuses a script with
# ``crossorigin`` from a file:// page, and the files are ours (checked against assets.json's sha256 by the tests).
_SRI = re.compile(r"""(<(?:script|link)\b[^>]*?/static/vendor/[^>]*?)\s+(?:integrity|crossorigin)=(["'])[^"']*\2""")


def _assets() -> list[dict[str, str]]:
    return list(json.loads((VENDOR / "assets.json").read_text()))


def _copy_vendor(site: Path) -> Path:
    target = site / "static" / "vendor"
    for folder in sorted(p for p in (VENDOR / "files").iterdir() if p.is_dir()):
        if not (target / folder.name).is_dir():
            shutil.copytree(folder, target / folder.name)
    return target


def localize(site: Path) -> int:
    """Point the Data Docs pages under ``site`` written since the last call at the vendored files (copied into
    ``site/static/vendor`` when missing); returns how many pages were rewritten."""
    site = Path(site)
    vendor = _copy_vendor(site)
    stamp = vendor / _STAMP
    since = stamp.stat().st_mtime if stamp.exists() else 0.0
    assets = _assets()
    rewritten = 0
    for page in site.rglob("*.html"):
        if page.stat().st_mtime < since:
            continue
        text = page.read_text()
        up = os.path.relpath(site, page.parent)
        new = text
        for asset in assets:
            new = new.replace(asset["url"], f"{up}/static/vendor/{asset['file']}")
        new = _LOGO.sub(f"{up}/static/images/logo-long.png", new)
        while (stripped := _SRI.sub(r"\1", new)) != new:
            new = stripped
        if new != text:
            page.write_text(new)
            rewritten += 1
    styles = site / "static" / "styles" / "data_docs_default_styles.css"
    if styles.exists() and _LOGO.search(styles.read_text()):
        styles.write_text(_LOGO.sub("../images/logo-long.png", styles.read_text()))
    stamp.touch()
    return rewritten


_RESOURCE = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*["']((?:https?:)?//[^"']+)""", re.I)


def external_resources(page: Path) -> list[str]:
    """Scripts, styles and images ``page`` would fetch from outside the site (links a reader may follow are not
    counted)."""
    return sorted(set(_RESOURCE.findall(Path(page).read_text())))


def validation_pages(site: Path, relation: str, data_cut_id: str, run_id: str) -> list[Path]:
    """The Data Docs pages of ``relation``'s validation in run ``run_id`` of ``data_cut_id`` (one, or one per batch
    for a table validated in batches), in batch order."""
    folder = Path(site) / "validations" / Path(*relation.split("."))
    if not folder.is_dir():
        return []
    runs = [p for p in folder.iterdir() if p.is_dir() and p.name.startswith(f"{data_cut_id}__{run_id}")]
    return sorted((page for run in runs for page in run.rglob("*.html")), key=lambda p: p.parent.parent.name)
