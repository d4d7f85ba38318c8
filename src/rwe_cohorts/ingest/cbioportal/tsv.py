"""Robust parsing of cBioPortal text files: meta files (``key: value``), case lists and tab-separated data files.

Conventions (as cBioPortal publishes them, with the messiness seen in downloaded studies):

- Data files are tab-separated with one header row; clinical files usually carry four ``#`` lines (display name,
  description, datatype, priority) above it, but a file without them, or with any number, is read the same way.
- Column names are matched case-insensitively (they are upper-cased here: ``Site2_Effect_on_Frame`` and
  ``Site2_Effect_On_Frame`` are one column).
- Missing values: empty, ``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ``Unknown``, ``Not Available`` / ``Not
  Applicable`` / ``Not Reported`` and bracketed placeholders such as ``[Not Available]`` all become None. Values
  are stripped of surrounding whitespace.
- A row shorter than the header is padded with missing values (editors drop trailing tabs) and noted; a row with
  non-empty fields beyond the header is a problem; blank lines are skipped; a UTF-8 BOM is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rwe_cohorts.ingest.cbioportal.errors import Issues

_NA = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "#n/a", "unknown", "not available", "not applicable", "not reported"}
)


def clean(value: str | None) -> str | None:
    """A stripped value, or None when it is one of the missing-value spellings."""
    if value is None:
        return None
    text = value.strip()
    if text.lower() in _NA or (text.startswith("[") and text.endswith("]")):
        return None
    return text


@dataclass(frozen=True)
class TsvTable:
    """A parsed data file: upper-cased columns, one dict per row (missing values are None), source line numbers."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[Mapping[str, str | None], ...]
    lines: tuple[int, ...]
    header_lines: int

    def has(self, column: str) -> bool:
        return column in self.columns

    def first_column(self, *aliases: str) -> str | None:
        """The first of ``aliases`` present in the file (upper-case names)."""
        return next((a for a in aliases if a in self.columns), None)


def _text(path: Path, issues: Issues) -> str | None:
    try:
        return path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as exc:
        issues.problem(path.name, f"cannot be read ({exc})")
        return None


def read_meta(path: Path, issues: Issues) -> dict[str, str]:
    """A meta file or case list: ``key: value`` lines (keys lower-cased; a line without ``:`` is ignored)."""
    text = _text(path, issues)
    out: dict[str, str] = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            out.setdefault(key.strip().lower(), value.strip())
    return out


def read_tsv(
    path: Path, issues: Issues, *, required: tuple[str, ...] = (), where: str | None = None
) -> TsvTable | None:
    """Parse a tab-separated data file; every problem goes to ``issues``. None when it cannot be used at all."""
    name = where or path.name
    text = _text(path, issues)
    if text is None:
        return None
    lines = text.splitlines()
    header_lines = 0
    index = 0
    while index < len(lines) and (lines[index].startswith("#") or not lines[index].strip()):
        header_lines += lines[index].startswith("#")
        index += 1
    if index == len(lines):
        issues.problem(name, "no header row (the file is empty or holds only '#' lines)")
        return None
    columns = tuple(c.strip().upper() for c in lines[index].split("\t"))
    while columns and not columns[-1]:
        columns = columns[:-1]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes or "" in columns:
        issues.problem(name, f"header has duplicate or empty column names: {dupes or ['(empty)']}")
        return None
    missing = [c for c in required if c not in columns]
    for col in missing:
        issues.problem(name, f"column {col!r} missing (columns found: {', '.join(columns[:12])})")
    rows: list[dict[str, str | None]] = []
    numbers: list[int] = []
    padded: list[int] = []
    overlong: list[int] = []
    for number, line in enumerate(lines[index + 1 :], start=index + 2):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) > len(columns):
            if any(f.strip() for f in fields[len(columns) :]):
                overlong.append(number)
                continue
            fields = fields[: len(columns)]
        if len(fields) < len(columns):
            padded.append(number)
            fields = fields + [""] * (len(columns) - len(fields))
        rows.append({c: clean(v) for c, v in zip(columns, fields, strict=True)})
        numbers.append(number)
    if overlong:
        issues.problem(name, "rows with more fields than the header", [f"line {n}" for n in overlong])
    if padded:
        issues.note(name, "rows shorter than the header, padded with missing values", [f"line {n}" for n in padded])
    if missing:
        return None
    return TsvTable(name=name, columns=columns, rows=tuple(rows), lines=tuple(numbers), header_lines=header_lines)


@dataclass(frozen=True)
class CaseList:
    file: str
    stable_id: str
    category: str
    sample_ids: tuple[str, ...]


def read_case_lists(folder: Path, issues: Issues) -> tuple[CaseList, ...]:
    """Every case list under ``case_lists/`` (sample ids separated by tabs or spaces)."""
    out = []
    for path in sorted((folder / "case_lists").glob("*.txt")) if (folder / "case_lists").is_dir() else []:
        meta = read_meta(path, issues)
        ids = tuple(s for s in meta.get("case_list_ids", "").split() if s)
        if "stable_id" not in meta:
            issues.note(f"case_lists/{path.name}", "no stable_id: case list ignored")
            continue
        out.append(
            CaseList(
                file=f"case_lists/{path.name}",
                stable_id=meta["stable_id"],
                category=meta.get("case_list_category", ""),
                sample_ids=ids,
            )
        )
    return tuple(out)
