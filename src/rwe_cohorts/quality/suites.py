"""Great Expectations suites derived from data contracts (the contract is the single source of truth).

One suite per relation, named after the relation. Per contract it holds:

- schema (conformance): every contract column exists, and the frame's columns match the contract's ordered list
  followed by the derived rule columns (so a missing, extra, renamed or reordered column fails);
- per column: not null (completeness) for non-nullable and key columns, in set (conformance) for
  ``accepted_values``, a full-match regex (conformance) for ``pattern``, between (plausibility) for ``min``/``max``;
- primary key unique (conformance): ``expect_column_values_to_be_unique`` or ``expect_compound_columns_to_be_unique``;
- row rules and foreign keys: DuckDB evaluates them into boolean columns (see :mod:`rwe_cohorts.quality.derived`)
  and GX judges each column with ``expect_column_values_to_be_in_set([True])``.

Column types are enforced at ingest and are not re-checked here. Every expectation's ``meta`` carries the rule name,
Kahn tag, severity and tolerance (``max_share``, ``max_count``); ``mostly`` is set to ``1 - max_share`` so GX's own
verdict matches the share tolerance, and the runner applies the absolute count cap on top.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from rwe_cohorts.core.contracts import Column, Contract, Severity, Tag
from rwe_cohorts.quality._gx import ColumnMapExpectation, Expectation, MulticolumnMapExpectation, gx, gxe
from rwe_cohorts.quality.derived import derived_columns, fk_column, rule_column

SCHEMA_RULE = "columns_match_contract"
PRIMARY_KEY_RULE = "primary_key_unique"

ORDERED_COLUMNS = "expect_table_columns_to_match_ordered_list"
COLUMN_EXISTS = "expect_column_to_exist"
NOT_NULL = "expect_column_values_to_not_be_null"
IN_SET = "expect_column_values_to_be_in_set"
REGEX = "expect_column_values_to_match_regex"
BETWEEN = "expect_column_values_to_be_between"
UNIQUE = "expect_column_values_to_be_unique"
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"


class SuiteError(ValueError):
    """A contract cannot be turned into a suite (e.g. two checks share a rule name)."""


@dataclass(frozen=True)
class CheckSpec:
    """What one expectation checks and how it is judged; mirrored into the expectation's ``meta``."""

    rule: str
    expectation_type: str
    column: str | None
    tag: Tag
    severity: Severity
    max_share: float = 0.0
    max_count: int | None = None
    description: str = ""

    @property
    def is_table_level(self) -> bool:
        """Whether the expectation judges the table as a whole (one element) rather than rows."""
        return self.expectation_type in {COLUMN_EXISTS, ORDERED_COLUMNS}

    @property
    def notes(self) -> str:
        """One line for Data Docs: rule, Kahn tag, severity, tolerance and description."""
        cap = "" if self.max_count is None else f", at most {self.max_count} rows"
        tolerance = f"failing share <= {self.max_share:g}{cap}"
        return f"{self.rule} ({self.tag}, {self.severity}; {tolerance}): {self.description}"

    def meta(self, relation: str) -> dict[str, Any]:
        """The JSON-serialisable ``meta`` block stored with the expectation (and shown in Data Docs)."""
        return {
            "relation": relation,
            "rule": self.rule,
            "tag": self.tag,
            "severity": self.severity,
            "max_share": self.max_share,
            "max_count": self.max_count,
            "description": self.description,
        }


Check = tuple[CheckSpec, Expectation]
"""A check and the GX expectation that judges it."""


def full_match_regex(pattern: str) -> str:
    r"""Anchor a contract pattern so GX's search-style regex must match the whole value.

    ``\A`` and ``\Z`` are absolute anchors: unlike ``$`` they do not accept a trailing newline.

    >>> full_match_regex("^[A-Z]{2}$")
    '\\A(?:^[A-Z]{2}$)\\Z'
    """
    return rf"\A(?:{pattern})\Z"


def _typed_values(column: Column) -> list[Any]:
    values = column.accepted_values or ()
    if column.type in {"INTEGER", "BIGINT"}:
        return [int(v) for v in values]
    if column.type == "DOUBLE":
        return [float(v) for v in values]
    if column.type == "BOOLEAN":
        return [v.strip().lower() in {"true", "1", "yes"} for v in values]
    return list(values)


def _check(relation: str, expectation_class: type[Expectation], spec: CheckSpec, **kwargs: Any) -> Check:
    """Pair a check with its GX expectation; map expectations get ``mostly = 1 - max_share``."""
    if issubclass(expectation_class, ColumnMapExpectation | MulticolumnMapExpectation) and spec.max_share > 0:
        kwargs["mostly"] = min(1.0, max(0.0, 1.0 - spec.max_share))
    return spec, expectation_class(meta=spec.meta(relation), notes=spec.notes, **kwargs)


def _column_checks(contract: Contract) -> list[Check]:
    rel = contract.relation
    out: list[Check] = []
    for col in contract.columns:
        name = col.name
        if not col.nullable or name in contract.primary_key:
            spec = CheckSpec(f"not_null__{name}", NOT_NULL, name, "completeness", "error", description="never null")
            out.append(_check(rel, gxe.ExpectColumnValuesToNotBeNull, spec, column=name))
        if col.accepted_values is not None:
            spec = CheckSpec(
                f"accepted_values__{name}",
                IN_SET,
                name,
                "conformance",
                "error",
                description=f"one of {len(col.accepted_values)} accepted values",
            )
            out.append(_check(rel, gxe.ExpectColumnValuesToBeInSet, spec, column=name, value_set=_typed_values(col)))
        if col.pattern is not None:
            spec = CheckSpec(
                f"pattern__{name}", REGEX, name, "conformance", "error", description=f"fully matches {col.pattern}"
            )
            out.append(
                _check(rel, gxe.ExpectColumnValuesToMatchRegex, spec, column=name, regex=full_match_regex(col.pattern))
            )
        if col.min is not None or col.max is not None:
            unit = f" {col.unit}" if col.unit else ""
            spec = CheckSpec(
                f"range__{name}",
                BETWEEN,
                name,
                "plausibility",
                "error",
                description=f"within [{col.min}, {col.max}]{unit}",
            )
            out.append(
                _check(rel, gxe.ExpectColumnValuesToBeBetween, spec, column=name, min_value=col.min, max_value=col.max)
            )
    return out


def _primary_key_check(contract: Contract) -> Check | None:
    pk = contract.primary_key
    desc = f"primary key ({', '.join(pk)}) is unique; grain: {contract.grain}"
    if len(pk) == 1:
        spec = CheckSpec(PRIMARY_KEY_RULE, UNIQUE, pk[0], "conformance", "error", description=desc)
        return _check(contract.relation, gxe.ExpectColumnValuesToBeUnique, spec, column=pk[0])
    if len(pk) > 1:
        spec = CheckSpec(PRIMARY_KEY_RULE, COMPOUND_UNIQUE, ",".join(pk), "conformance", "error", description=desc)
        return _check(contract.relation, gxe.ExpectCompoundColumnsToBeUnique, spec, column_list=list(pk))
    return None


def _derived_checks(contract: Contract) -> list[Check]:
    rel = contract.relation
    out: list[Check] = []
    for rule in contract.rules:
        spec = CheckSpec(
            rule.name,
            IN_SET,
            rule_column(rule),
            rule.tag,
            rule.severity,
            rule.max_share,
            rule.max_count,
            f"{rule.description} [{rule.expect}]".strip(),
        )
        out.append(_check(rel, gxe.ExpectColumnValuesToBeInSet, spec, column=spec.column, value_set=[True]))
    for fk in contract.foreign_keys:
        desc = f"({', '.join(fk.columns)}) exists in {fk.references} ({', '.join(fk.ref_columns)})"
        spec = CheckSpec(fk.name, IN_SET, fk_column(fk), "conformance", fk.severity, fk.max_share, fk.max_count, desc)
        out.append(_check(rel, gxe.ExpectColumnValuesToBeInSet, spec, column=spec.column, value_set=[True]))
    return out


def contract_checks(contract: Contract) -> list[Check]:
    """Every (check, GX expectation) pair for a contract, schema checks first; rule names are unique."""
    rel = contract.relation
    expected = [*contract.column_names, *derived_columns(contract)]
    spec = CheckSpec(
        SCHEMA_RULE,
        ORDERED_COLUMNS,
        None,
        "conformance",
        "error",
        description="the contract's columns in order, then the derived rule columns",
    )
    checks = [_check(rel, gxe.ExpectTableColumnsToMatchOrderedList, spec, column_list=expected)]
    for name in contract.column_names:
        spec = CheckSpec(f"column_exists__{name}", COLUMN_EXISTS, name, "conformance", "error", description="exists")
        checks.append(_check(rel, gxe.ExpectColumnToExist, spec, column=name))
    checks.extend(_column_checks(contract))
    pk = _primary_key_check(contract)
    if pk is not None:
        checks.append(pk)
    checks.extend(_derived_checks(contract))
    counts = Counter(s.rule for s, _ in checks)
    duplicates = sorted(rule for rule, n in counts.items() if n > 1)
    if duplicates:
        raise SuiteError(f"{contract.relation}: rule names used by more than one check: {duplicates}")
    return checks


def build_suite(contract: Contract) -> gx.ExpectationSuite:
    """Build the GX ``ExpectationSuite`` (named after the relation) for a contract; it is not saved anywhere."""
    return gx.ExpectationSuite(
        name=contract.relation,
        expectations=[expectation for _, expectation in contract_checks(contract)],
        meta={"relation": contract.relation, "grain": contract.grain, "description": contract.description},
    )
