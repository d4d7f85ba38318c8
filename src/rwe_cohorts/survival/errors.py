"""Named errors raised at the boundary of the survival library.

Every input problem names the column, how many rows are affected and the index (0-based row position in the
input frame) of one offending row, so a failing pipeline run says what is wrong and where. All problems found in
one frame are reported together.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputProblem:
    """One validation failure: `count` rows of `column` break `rule`; `example_row_index` is the first one."""

    column: str
    rule: str
    count: int
    example_row_index: int | None

    def describe(self) -> str:
        where = "" if self.example_row_index is None else f" (e.g. row {self.example_row_index})"
        return f"column {self.column!r}: {self.rule}: {self.count} row(s){where}"


class SurvivalInputError(ValueError):
    """The survival input frame is unusable; `problems` lists every failure found (all reported at once)."""

    def __init__(self, problems: tuple[InputProblem, ...], frame_name: str = "survival input") -> None:
        self.problems = problems
        self.frame_name = frame_name
        lines = "\n  ".join(problem.describe() for problem in problems)
        super().__init__(f"{frame_name} failed validation:\n  {lines}")


class SurvivalModelError(RuntimeError):
    """A model cannot be estimated on valid input (e.g. no events, or an arm with no subjects)."""
