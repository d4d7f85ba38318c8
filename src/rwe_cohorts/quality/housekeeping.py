"""Housekeeping of the Great Expectations project: the stored validation results and Data Docs pages of one data
cut. Every validation of a run is named ``<data cut id>__<run id>`` (suffixed ``__batch<i>of<n>`` for a table
validated in batches), so a data cut's results are the folders with that name under ``uncommitted/validations`` and
``uncommitted/data_docs/local_site/validations``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

_RUN_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def cut_result_folders(project: Path, data_cut_id: str) -> list[Path]:
    """The folders holding ``data_cut_id``'s validation results and their Data Docs pages in the GX project at
    ``project`` (the folder with ``great_expectations.yml``)."""
    name = re.compile(re.escape(data_cut_id) + "__" + _RUN_ID + r"(__batch\d+of\d+)?")
    roots = [
        project / "uncommitted" / "validations",
        project / "uncommitted" / "data_docs" / "local_site" / "validations",
    ]
    found = []
    for root in roots:
        if root.is_dir():
            found += [p for p in root.glob("*/*/*") if p.is_dir() and name.fullmatch(p.name)]
    return sorted(found)


def remove_cut_results(project: Path, data_cut_id: str) -> list[Path]:
    """Delete ``data_cut_id``'s validation results and Data Docs pages; returns what was removed (the Data Docs index
    is the caller's to rebuild)."""
    folders = cut_result_folders(project, data_cut_id)
    for folder in folders:
        shutil.rmtree(folder)
    return folders
