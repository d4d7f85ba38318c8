"""Data contracts: one YAML file per table under ``data_contracts/<schema>/<relation>.yaml``.

A contract is the single source of truth for a table: its grain, primary key, columns (type, nullability,
accepted values, pattern, range, unit), foreign keys and row rules. Great Expectations suites, ingest schema checks
and DuckDB column comments are all derived from it.

Every rule carries a Kahn-framework tag (``conformance``, ``completeness`` or ``plausibility``; Kahn et al.,
eGEMs 2016), a severity (``error`` blocks downstream work, ``warn`` reports) and a tolerance: the share of rows that
may fail (``max_share``) and an absolute cap (``max_count``) so that a handful of bad keys in a large table cannot round
to 0% and pass. A check passes when the failing share is at most ``max_share`` and, if ``max_count`` is set, the
failing count is at most ``max_count``. Rule expressions are evaluated with the table aliased ``t`` and may use
correlated sub-queries on other relations (cross-table rules).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

Tag = Literal["conformance", "completeness", "plausibility"]
Severity = Literal["error", "warn"]

DUCKDB_TYPES = frozenset({"VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "DATE", "BOOLEAN", "TIMESTAMP", "VARCHAR[]"})
_TAGS = frozenset({"conformance", "completeness", "plausibility"})
_SEVERITIES = frozenset({"error", "warn"})


class ContractError(ValueError):
    """A data contract file is malformed; the message lists every problem found in it."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    description: str
    unit: str | None = None
    accepted_values: tuple[str, ...] | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    small_cell: str | None = None
    derived_from: tuple[str, ...] = ()


SMALL_CELL_KINDS = ("count", "derived", "withheld")


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    references: str
    ref_columns: tuple[str, ...]
    severity: Severity = "error"
    max_share: float = 0.0
    max_count: int | None = None

    @property
    def name(self) -> str:
        return f"fk_{'_'.join(self.columns)}__{self.references.replace('.', '_')}"


@dataclass(frozen=True)
class Rule:
    """A row rule: ``expect`` is a DuckDB boolean expression over the table's columns, true for a good row."""

    name: str
    expect: str
    tag: Tag
    severity: Severity
    description: str
    max_share: float = 0.0
    max_count: int | None = None


@dataclass(frozen=True)
class Contract:
    relation: str
    description: str
    grain: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    rules: tuple[Rule, ...] = ()
    complementary: tuple[Mapping[str, Any], ...] = ()
    path: Path | None = field(default=None, compare=False)

    @property
    def schema(self) -> str:
        return self.relation.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.relation.split(".", 1)[1]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.relation} has no column {name!r}")


def _parse(raw: Mapping[str, Any], path: Path) -> Contract:
    errors: list[str] = []
    for key in ("relation", "description", "grain", "primary_key", "columns"):
        if key not in raw:
            errors.append(f"missing key {key!r}")
    unknown = set(raw) - {
        "relation",
        "description",
        "grain",
        "primary_key",
        "columns",
        "foreign_keys",
        "rules",
        "complementary",
    }
    if unknown:
        errors.append(f"unknown keys {sorted(unknown)}")
    if errors:
        raise ContractError(f"{path}: " + "; ".join(errors))

    columns: list[Column] = []
    for i, c in enumerate(raw["columns"]):
        ctype = str(c.get("type", "")).upper()
        if ctype not in DUCKDB_TYPES:
            errors.append(f"column #{i} {c.get('name')!r}: type {c.get('type')!r} not in {sorted(DUCKDB_TYPES)}")
        if "name" not in c or "description" not in c or "nullable" not in c:
            errors.append(f"column #{i}: name, description and nullable are required")
            continue
        av = c.get("accepted_values")
        columns.append(
            Column(
                name=str(c["name"]),
                type=ctype,
                nullable=bool(c["nullable"]),
                description=str(c["description"]),
                unit=c.get("unit"),
                accepted_values=tuple(str(v) for v in av) if av is not None else None,
                pattern=c.get("pattern"),
                min=c.get("min"),
                max=c.get("max"),
                small_cell=c.get("small_cell"),
                derived_from=tuple(c.get("derived_from") or ()),
            )
        )
        if c.get("small_cell") not in (None, *SMALL_CELL_KINDS):
            errors.append(f"column {c['name']!r}: small_cell must be one of {SMALL_CELL_KINDS}")
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        errors.append("duplicate column names")
    for k in raw["primary_key"]:
        if k not in names:
            errors.append(f"primary key column {k!r} is not a column")

    fks: list[ForeignKey] = []
    for fk in raw.get("foreign_keys") or []:
        cols = tuple(fk.get("columns", ()))
        for col in cols:
            if col not in names:
                errors.append(f"foreign key column {col!r} is not a column")
        if fk.get("severity", "error") not in _SEVERITIES:
            errors.append(f"foreign key {cols}: severity must be one of {sorted(_SEVERITIES)}")
        fks.append(
            ForeignKey(
                columns=cols,
                references=str(fk["references"]),
                ref_columns=tuple(fk.get("ref_columns", cols)),
                severity=fk.get("severity", "error"),
                max_share=float(fk.get("max_share", 0.0)),
                max_count=int(fk["max_count"]) if fk.get("max_count") is not None else None,
            )
        )

    rules: list[Rule] = []
    for r in raw.get("rules") or []:
        name = r.get("name", "?")
        if r.get("tag") not in _TAGS:
            errors.append(f"rule {name!r}: tag must be one of {sorted(_TAGS)}")
        if r.get("severity") not in _SEVERITIES:
            errors.append(f"rule {name!r}: severity must be one of {sorted(_SEVERITIES)}")
        if not r.get("expect"):
            errors.append(f"rule {name!r}: 'expect' (a boolean SQL expression) is required")
        if errors:
            continue
        rules.append(
            Rule(
                name=str(name),
                expect=str(r["expect"]),
                tag=r["tag"],
                severity=r["severity"],
                description=str(r.get("description", "")),
                max_share=float(r.get("max_share", 0.0)),
                max_count=int(r["max_count"]) if r.get("max_count") is not None else None,
            )
        )
    relation = str(raw["relation"])
    if "." not in relation:
        errors.append(f"relation {relation!r} must be schema-qualified (e.g. raw.demographics)")
    elif relation.split(".", 1)[1] != path.stem:
        errors.append(f"relation {relation!r} does not match the file stem {path.stem!r}")
    if errors:
        raise ContractError(f"{path}: " + "; ".join(errors))
    return Contract(
        relation=relation,
        description=str(raw["description"]),
        grain=str(raw["grain"]),
        primary_key=tuple(raw["primary_key"]),
        columns=tuple(columns),
        foreign_keys=tuple(fks),
        rules=tuple(rules),
        complementary=tuple(dict(r) for r in raw.get("complementary") or ()),
        path=path,
    )


def load_contract(path: Path) -> Contract:
    try:
        with path.open() as fh:
            raw = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise ContractError(f"{path}: expected a mapping at the top level")
    return _parse(raw, path)


def load_contracts(root: Path, schema: str | None = None) -> dict[str, Contract]:
    """Load every contract under ``root`` (or one schema's folder); keys are ``schema.relation``."""
    folders = [root / schema] if schema else sorted(p for p in root.iterdir() if p.is_dir())
    out: dict[str, Contract] = {}
    problems: list[str] = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            try:
                contract = load_contract(path)
            except ContractError as exc:
                problems.append(str(exc))
                continue
            if contract.schema != folder.name:
                problems.append(f"{path}: relation {contract.relation} is not in schema folder {folder.name}")
            out[contract.relation] = contract
    if problems:
        raise ContractError("invalid data contracts:\n  " + "\n  ".join(problems))
    return out
