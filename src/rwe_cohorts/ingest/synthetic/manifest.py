"""The delivery manifest (``manifest.json``) and its typed, frozen mirror.

Format::

    {"schema_version": "1.0", "data_cut_id": "YYYY-MM-DD", "data_cut_date": "YYYY-MM-DD",
     "generator": {"name": "rwe_cohorts.synth", "version": ..., "seed": ..., "n_patients": ..., "hazard_ratio": ...,
                   "informative_entry": ..., "defects": {...}},
     "tables": [{"table": ..., "file": ..., "rows": N, "sha256": ..., "columns": [{"name": ..., "type": ...}]}],
     "defects_injected": [{"defect": ..., "table": ..., "column": ..., "rows": k, "example_keys": [...]}]}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1.0"
GENERATOR_NAME = "rwe_cohorts.synth"
GENERATOR_VERSION = "1.0.0"
MANIFEST_FILE = "manifest.json"


class ManifestError(ValueError):
    """A manifest file is missing fields or malformed."""


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str


@dataclass(frozen=True)
class TableEntry:
    table: str
    file: str
    rows: int
    sha256: str
    columns: tuple[ColumnSpec, ...]


@dataclass(frozen=True)
class GeneratorInfo:
    name: str
    version: str
    seed: int
    n_patients: int
    hazard_ratio: float
    informative_entry: float
    defects: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class DefectRecord:
    defect: str
    table: str
    column: str
    rows: int
    example_keys: tuple[str, ...]


@dataclass(frozen=True)
class DeliveryManifest:
    """Typed mirror of ``manifest.json``."""

    schema_version: str
    data_cut_id: str
    data_cut_date: str
    generator: GeneratorInfo
    tables: tuple[TableEntry, ...]
    defects_injected: tuple[DefectRecord, ...]

    def table(self, name: str) -> TableEntry:
        """The entry of one table (``KeyError`` when absent)."""
        for entry in self.tables:
            if entry.table == name:
                return entry
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The JSON document, keys in the documented order."""
        g = self.generator
        return {
            "schema_version": self.schema_version,
            "data_cut_id": self.data_cut_id,
            "data_cut_date": self.data_cut_date,
            "generator": {
                "name": g.name,
                "version": g.version,
                "seed": g.seed,
                "n_patients": g.n_patients,
                "hazard_ratio": g.hazard_ratio,
                "informative_entry": g.informative_entry,
                "defects": dict(g.defects),
            },
            "tables": [
                {
                    "table": t.table,
                    "file": t.file,
                    "rows": t.rows,
                    "sha256": t.sha256,
                    "columns": [{"name": c.name, "type": c.type} for c in t.columns],
                }
                for t in self.tables
            ],
            "defects_injected": [
                {
                    "defect": d.defect,
                    "table": d.table,
                    "column": d.column,
                    "rows": d.rows,
                    "example_keys": list(d.example_keys),
                }
                for d in self.defects_injected
            ],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> DeliveryManifest:
        """Parse a manifest document; raises :class:`ManifestError` naming the missing field."""
        try:
            g = doc["generator"]
            return cls(
                schema_version=str(doc["schema_version"]),
                data_cut_id=str(doc["data_cut_id"]),
                data_cut_date=str(doc["data_cut_date"]),
                generator=GeneratorInfo(
                    name=str(g["name"]),
                    version=str(g["version"]),
                    seed=int(g["seed"]),
                    n_patients=int(g["n_patients"]),
                    hazard_ratio=float(g["hazard_ratio"]),
                    informative_entry=float(g["informative_entry"]),
                    defects=tuple((str(k), float(v)) for k, v in g["defects"].items()),
                ),
                tables=tuple(
                    TableEntry(
                        table=str(t["table"]),
                        file=str(t["file"]),
                        rows=int(t["rows"]),
                        sha256=str(t["sha256"]),
                        columns=tuple(ColumnSpec(str(c["name"]), str(c["type"])) for c in t["columns"]),
                    )
                    for t in doc["tables"]
                ),
                defects_injected=tuple(
                    DefectRecord(
                        defect=str(d["defect"]),
                        table=str(d["table"]),
                        column=str(d["column"]),
                        rows=int(d["rows"]),
                        example_keys=tuple(str(k) for k in d["example_keys"]),
                    )
                    for d in doc["defects_injected"]
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ManifestError(f"malformed manifest: {exc!r}") from exc


def write_manifest(manifest: DeliveryManifest, out_dir: Path) -> Path:
    """Write ``manifest.json`` (sorted nothing, indent 2, trailing newline) and return its path."""
    path = out_dir / MANIFEST_FILE
    path.write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
    return path


def read_manifest(path: Path) -> DeliveryManifest:
    """Read a manifest from a file or from a delivery directory holding ``manifest.json``."""
    file = path / MANIFEST_FILE if path.is_dir() else path
    if not file.exists():
        raise ManifestError(f"no manifest at {file}")
    return DeliveryManifest.from_json(json.loads(file.read_text(encoding="utf-8")))
