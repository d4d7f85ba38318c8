"""Robust parsing of cBioPortal text files: meta files (``key: value``), case lists and tab-separated data files.

Conventions (as cBioPortal publishes them, with the messiness seen in downloaded studies):

- **Rows end only at ``\\n`` or ``\\r\\n``.** The file is split on ``\\n`` (one trailing ``\\r`` dropped) and each
  line is parsed by the ``csv`` module (tab-delimited, ``QUOTE_NONE``, as cBioPortal's own validator reads data
  files). Python's ``str.splitlines()`` is never used: it also splits on ``\\x0b``, ``\\x0c``, ``\\x1c``-``\\x1e``,
  ``\\x85``, U+2028 and U+2029, which occur inside free-text fields (a vertical tab in a ``Comments`` field, say).
- **Control characters inside a field** (C0 controls other than the tab delimiter, a lone ``\\r``, DEL, U+0085,
  U+2028, U+2029) never split a row: each is replaced by a space and the value stripped, and every replacement is
  counted per file and column in the conversion notes.
- **Quoting as cBioPortal allows it**: quotes have no special meaning (a tab always separates fields, a quote never
  joins lines); a value wrapped in one pair of double quotes (``"Protein fusion: in frame"``) is unwrapped, noted.
- One header row; clinical files usually carry four ``#`` lines (display name, description, datatype, priority)
  above it, but a file without them, or with any number, is read the same way. A UTF-8 byte-order mark is dropped.
- Column names are matched case-insensitively (they are upper-cased here: ``Site2_Effect_on_Frame`` and
  ``Site2_Effect_On_Frame`` are one column).
- Missing values: empty, ``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ``Unknown``, ``Not Available`` / ``Not
  Applicable`` / ``Not Reported`` and bracketed placeholders such as ``[Not Available]`` all become None. Values
  are stripped of surrounding whitespace.
- A row shorter than the header is padded with missing values (editors drop trailing tabs) and noted; a row with
  non-empty fields beyond the header is a problem; blank lines and later ``#`` lines are skipped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rwe_cohorts.ingest.cbioportal.errors import Issues

_NA = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "#n/a", "unknown", "not available", "not applicable", "not reported"}
)
_LONE_CR = "\ue000"  # a private-use stand-in for a lone carriage return while the csv module parses the line
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x85\u2028\u2029" + _LONE_CR + "]")


def clean(value: str | None) -> str | None:
    """A stripped value, or None when it is one of the missing-value spellings."""
    if value is None:
        return None
    text = value.strip()
    if text.lower() in _NA or (text.startswith("[") and text.endswith("]")):
        return None
    return text


def _shown(char: str) -> str:
    return "\\r" if char == _LONE_CR else f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"U+{ord(char):04X}"


class _FieldCleaner:
    """Replaces control characters by spaces and unwraps quoted values, remembering where (file, column, line)."""

    def __init__(self) -> None:
        self.controls: dict[str, tuple[set[str], list[int]]] = {}
        self.quoted: dict[str, list[int]] = {}

    def __call__(self, column: str, value: str, line: int) -> str:
        if CONTROL_CHARACTERS.search(value):
            chars, lines = self.controls.setdefault(column, (set(), []))
            chars.update(_shown(c) for c in CONTROL_CHARACTERS.findall(value))
            lines.append(line)
            value = CONTROL_CHARACTERS.sub(" ", value)
        stripped = value.strip()
        if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"' and '"' not in stripped[1:-1]:
            self.quoted.setdefault(column, []).append(line)
            value = stripped[1:-1]
        return value

    def report(self, name: str, issues: Issues) -> None:
        for column, (chars, lines) in self.controls.items():
            issues.note(
                name,
                f"column {column!r}: control characters ({', '.join(sorted(chars))}) inside values replaced by a "
                "space (they never end a row)",
                [f"line {n}" for n in lines],
            )
        for column, lines in self.quoted.items():
            issues.note(name, f"column {column!r}: values in double quotes unquoted", [f"line {n}" for n in lines])


def split_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every line; rows end only at ``\\n`` or ``\\r\\n`` (see the module docstring)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    prepared = [(line[:-1] if line.endswith("\r") else line).replace("\r", _LONE_CR) for line in lines]
    reader = csv.reader(prepared, delimiter="\t", quoting=csv.QUOTE_NONE, strict=False)
    yield from enumerate(reader, start=1)


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
    """A meta file or case list: ``key: value`` lines (keys lower-cased; a line without ``:`` is ignored; lines end
    only at ``\\n``, control characters inside a value become spaces)."""
    text = _text(path, issues)
    out: dict[str, str] = {}
    for line in (text or "").split("\n"):
        key, sep, value = CONTROL_CHARACTERS.sub(" ", line.replace("\r", " ")).partition(":")
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
    fix = _FieldCleaner()
    header_lines = 0
    columns: tuple[str, ...] | None = None
    rows: list[dict[str, str | None]] = []
    numbers: list[int] = []
    padded: list[int] = []
    overlong: list[int] = []
    for number, fields in split_rows(text):
        first = fields[0] if fields else ""
        if columns is None:
            if first.startswith("#") or not "".join(fields).strip():
                header_lines += first.startswith("#")
                continue
            columns = tuple(fix("(header)", c, number).strip().upper() for c in fields)
            while columns and not columns[-1]:
                columns = columns[:-1]
            continue
        if first.startswith("#") or not "".join(fields).strip():
            continue
        if len(fields) > len(columns):
            if any(f.strip() for f in fields[len(columns) :]):
                overlong.append(number)
                continue
            fields = fields[: len(columns)]
        if len(fields) < len(columns):
            padded.append(number)
            fields = fields + [""] * (len(columns) - len(fields))
        rows.append({c: clean(fix(c, v, number)) for c, v in zip(columns, fields, strict=True)})
        numbers.append(number)
    if columns is None:
        issues.problem(name, "no header row (the file is empty or holds only '#' lines)")
        return None
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes or "" in columns:
        issues.problem(name, f"header has duplicate or empty column names: {dupes or ['(empty)']}")
        return None
    missing = [c for c in required if c not in columns]
    for col in missing:
        issues.problem(name, f"column {col!r} missing (columns found: {', '.join(columns[:12])})")
    if overlong:
        issues.problem(name, "rows with more fields than the header", [f"line {n}" for n in overlong])
    if padded:
        issues.note(name, "rows shorter than the header, padded with missing values", [f"line {n}" for n in padded])
    fix.report(name, issues)
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
        ids = tuple(s for s in re.split(r"[\t ]+", meta.get("case_list_ids", "")) if s)
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
