"""Input convention, validation and conversion of survival frames to numpy arrays.

Input convention (one row per patient, time in months since the index date):

- ``entry_months`` (float, >= 0): delayed entry / left truncation time; 0 = observed from the index date.
- ``exit_months`` (float, > entry): death or censoring time.
- ``is_event`` (bool): True = death observed at ``exit_months``.
- an arm column: ``arm`` ('NTRK+' / 'NTRK-') by default, or any column named by :class:`ArmSpec`
  (e.g. ``is_exposed`` bool via :meth:`ArmSpec.from_is_exposed`).
- optional ``match_set_id`` (strata / clusters) and ``weight`` (positive, finite).

Risk-set convention (counting process, as R ``Surv(entry, exit, event)``): a subject is at risk at time t when
``entry < t <= exit``. A subject entering at t is therefore *not* at risk for an event at t.

Functions in this package never mutate their inputs; they validate here and raise
:class:`~rwe_cohorts.survival.errors.SurvivalInputError` naming column, count and an example row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from rwe_cohorts.survival.errors import InputProblem, SurvivalInputError, SurvivalModelError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

ENTRY_COL = "entry_months"
EXIT_COL = "exit_months"
EVENT_COL = "is_event"


@dataclass(frozen=True)
class ArmSpec:
    """Which column holds the arm and which values mean exposed / comparator.

    Labels are used in every output frame (column ``arm``); for a boolean column they default to
    'exposed' / 'comparator'.
    """

    column: str = "arm"
    exposed: str | bool = "NTRK+"
    comparator: str | bool = "NTRK-"

    @classmethod
    def from_is_exposed(cls, column: str = "is_exposed") -> ArmSpec:
        """Arms given by a boolean column (True = exposed)."""
        return cls(column=column, exposed=True, comparator=False)

    @property
    def exposed_label(self) -> str:
        return "exposed" if isinstance(self.exposed, bool) else self.exposed

    @property
    def comparator_label(self) -> str:
        return "comparator" if isinstance(self.comparator, bool) else self.comparator


@dataclass(frozen=True)
class SurvivalArrays:
    """Validated numpy view of a survival frame (copies; the input frame is untouched)."""

    entry: FloatArray
    exit: FloatArray
    event: BoolArray
    weight: FloatArray
    is_exposed: BoolArray | None = None
    groups: IntArray | None = None

    @property
    def n(self) -> int:
        return int(self.exit.shape[0])

    def subset(self, mask: BoolArray) -> SurvivalArrays:
        return SurvivalArrays(
            entry=self.entry[mask],
            exit=self.exit[mask],
            event=self.event[mask],
            weight=self.weight[mask],
            is_exposed=None if self.is_exposed is None else self.is_exposed[mask],
            groups=None if self.groups is None else self.groups[mask],
        )


def _first_index(mask: pl.Series) -> int | None:
    idx = mask.arg_true()
    return None if idx.len() == 0 else int(idx[0])


def _check(problems: list[InputProblem], column: str, rule: str, mask: pl.Series) -> None:
    count = int(mask.sum())
    if count:
        problems.append(InputProblem(column, rule, count, _first_index(mask)))


def validate_survival_frame(
    df: pl.DataFrame,
    *,
    arms: ArmSpec | None = None,
    weight_col: str | None = None,
    group_cols: Sequence[str] = (),
    frame_name: str = "survival input",
) -> None:
    """Raise :class:`SurvivalInputError` listing every problem in ``df`` (no return value when valid).

    Checks: required columns present; no nulls; entry/exit finite numbers; ``entry_months >= 0``;
    ``exit_months > entry_months``; ``is_event`` boolean; arm values in {exposed, comparator} with both arms
    present; weights finite and > 0; group columns (strata / clusters) without nulls.
    """
    problems: list[InputProblem] = []
    required = [ENTRY_COL, EXIT_COL, EVENT_COL]
    if arms is not None:
        required.append(arms.column)
    if weight_col is not None:
        required.append(weight_col)
    required.extend(group_cols)
    missing = [c for c in dict.fromkeys(required) if c not in df.columns]
    for column in missing:
        problems.append(InputProblem(column, "required column is missing", df.height, None))
    if problems:
        raise SurvivalInputError(tuple(problems), frame_name)
    if df.height == 0:
        raise SurvivalInputError((InputProblem(EXIT_COL, "frame has no rows", 0, None),), frame_name)

    for column in dict.fromkeys(required):
        _check(problems, column, "null values", df[column].is_null())

    for column in (ENTRY_COL, EXIT_COL) + ((weight_col,) if weight_col else ()):
        if not df.schema[column].is_numeric():
            problems.append(InputProblem(column, f"must be numeric, got {df.schema[column]}", df.height, 0))
            continue
        values = df[column].cast(pl.Float64)
        _check(problems, column, "not a finite number (NaN or inf)", (~values.is_finite()).fill_null(False))
    if df.schema[EVENT_COL] != pl.Boolean:
        problems.append(InputProblem(EVENT_COL, f"must be Boolean, got {df.schema[EVENT_COL]}", df.height, 0))
    if any(problem.rule.startswith("must be") for problem in problems):
        raise SurvivalInputError(tuple(problems), frame_name)

    entry = df[ENTRY_COL].cast(pl.Float64)
    exit_ = df[EXIT_COL].cast(pl.Float64)
    _check(problems, ENTRY_COL, "negative entry time (must be >= 0)", (entry < 0).fill_null(False))
    _check(problems, EXIT_COL, "exit_months <= entry_months", (exit_ <= entry).fill_null(False))
    if weight_col is not None:
        _check(problems, weight_col, "weight <= 0", (df[weight_col].cast(pl.Float64) <= 0).fill_null(False))
    if arms is not None:
        arm = df[arms.column]
        allowed = pl.Series([arms.exposed, arms.comparator])
        if isinstance(arms.exposed, bool) != (arm.dtype == pl.Boolean):
            problems.append(InputProblem(arms.column, f"dtype {arm.dtype} does not match {arms}", df.height, 0))
        else:
            outside = ~arm.is_in(allowed.cast(arm.dtype), nulls_equal=False).fill_null(True)
            _check(problems, arms.column, f"value not in {{{arms.exposed!r}, {arms.comparator!r}}}", outside)
            for value in (arms.exposed, arms.comparator):
                if not bool((arm == value).any()):
                    problems.append(InputProblem(arms.column, f"arm {value!r} has no rows", 0, None))
    if problems:
        raise SurvivalInputError(tuple(problems), frame_name)


def to_arrays(
    df: pl.DataFrame,
    *,
    arms: ArmSpec | None = None,
    weight_col: str | None = None,
    group_col: str | None = None,
    frame_name: str = "survival input",
) -> SurvivalArrays:
    """Validate ``df`` and return numpy copies of entry, exit, event, weight, exposure and integer group codes."""
    validate_survival_frame(
        df,
        arms=arms,
        weight_col=weight_col,
        group_cols=() if group_col is None else (group_col,),
        frame_name=frame_name,
    )
    weight = (
        np.ones(df.height, dtype=np.float64)
        if weight_col is None
        else df[weight_col].cast(pl.Float64).to_numpy().astype(np.float64, copy=True)
    )
    is_exposed = None if arms is None else (df[arms.column] == arms.exposed).to_numpy().astype(bool, copy=True)
    groups = None
    if group_col is not None:
        groups = df[group_col].rank("dense").cast(pl.Int64).to_numpy().astype(np.int64, copy=True) - 1
    return SurvivalArrays(
        entry=df[ENTRY_COL].cast(pl.Float64).to_numpy().astype(np.float64, copy=True),
        exit=df[EXIT_COL].cast(pl.Float64).to_numpy().astype(np.float64, copy=True),
        event=df[EVENT_COL].to_numpy().astype(bool, copy=True),
        weight=weight,
        is_exposed=is_exposed,
        groups=groups,
    )


def require_events(data: SurvivalArrays, what: str) -> None:
    """Raise :class:`SurvivalModelError` when ``data`` holds no observed event."""
    if not bool(data.event.any()):
        raise SurvivalModelError(f"{what}: no events in {data.n} rows; the model is not estimable")
