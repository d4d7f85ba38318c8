"""The named error of the cBioPortal adapter and the collector that gathers every problem before raising it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MAX_EXAMPLES = 5
MAX_SHOWN = 50  # problems shown in the message (the last one always: it sums up when nobody can be delivered)


class CbioportalStudyError(ValueError):
    """A cBioPortal study folder cannot be converted; ``problems`` lists each one (file, column, count, examples)."""

    def __init__(self, folder: Path, problems: list[str]) -> None:
        self.folder = folder
        self.problems = problems
        shown = problems if len(problems) <= MAX_SHOWN else [*problems[: MAX_SHOWN - 1], "...", problems[-1]]
        super().__init__(
            f"cBioPortal study {folder} cannot be converted: {len(problems)} problem(s)\n  " + "\n  ".join(shown)
        )


def examples(keys: Iterable[object], limit: int = MAX_EXAMPLES) -> str:
    """Up to ``limit`` distinct keys, in first-seen order, as ``a, b, c`` (``...`` appended when there are more)."""
    seen: list[str] = []
    more = False
    for key in keys:
        text = str(key)
        if text in seen:
            continue
        if len(seen) == limit:
            more = True
            break
        seen.append(text)
    return ", ".join(seen) + (", ..." if more else "")


class Issues:
    """Problems (fatal: conversion is refused) and notes (kept in the conversion summary), gathered, never raised
    one at a time, so a user sees everything wrong with a study folder in one go."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.notes: list[str] = []

    def problem(self, where: str, message: str, keys: Iterable[object] = ()) -> None:
        self.problems.append(_line(where, message, list(keys)))

    def note(self, where: str, message: str, keys: Iterable[object] = ()) -> None:
        self.notes.append(_line(where, message, list(keys)))

    def raise_if_any(self, folder: Path) -> None:
        if self.problems:
            raise CbioportalStudyError(folder, list(self.problems))


def _line(where: str, message: str, keys: list[object]) -> str:
    if not keys:
        return f"{where}: {message}"
    return f"{where}: {message}: {len(keys)} (e.g. {examples(keys)})"
