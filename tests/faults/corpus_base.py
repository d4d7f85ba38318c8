"""The building blocks of the bad-delivery corpus (``corpus.py``): the :class:`Fault` record, the clean delivery every
fault starts from, and the helpers the hand edits use to damage a copy of it and to state the counts and example keys
the error must give.

The faults themselves live by kind in ``corpus_ingest.py``, ``corpus_quality.py`` and ``corpus_spec.py``;
``corpus.py`` assembles them into :data:`corpus.FAULTS` and builds them on disk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from rwe_cohorts.ingest.delivery import sha256_file

Stage = Literal["run_start", "raw_tables", "raw_quality", "staging_quality"]
Fragment = str | tuple[str, ...]
"""A text the error must contain (a :class:`Name` must stand on its own); a tuple is satisfied by any one member."""

MANIFEST = "manifest.json"

# The clean delivery every fault starts from: small (Great Expectations' cost per check dominates at this size), fixed
# seed, default data cut date. Its raw and staging layers pass every error-severity check.
N_PATIENTS = 2_000
SEED = 11
CLEAN_FOLDER = "cut_2021-03-31"
CLEAN_CUT = "2021-03-31"
DATA_CUT_DATE = "2021-03-31"


# --------------------------------------------------------------------------------------------------------------------
# Helpers for hand edits
# --------------------------------------------------------------------------------------------------------------------


def read_manifest_json(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST).read_text())


def write_manifest_json(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))


def set_cut_id(folder: Path, cut: str) -> None:
    manifest = read_manifest_json(folder)
    manifest["data_cut_id"] = cut
    write_manifest_json(folder, manifest)


def update_entry(folder: Path, table: str, **changes: object) -> None:
    manifest = read_manifest_json(folder)
    (entry,) = [e for e in manifest["tables"] if e["table"] == table]
    entry.update(changes)
    write_manifest_json(folder, manifest)


def reseal(folder: Path, table: str, *, rows: bool = True) -> None:
    """Make the manifest's checksum (and row count) agree with the file as it now is."""
    path = folder / f"{table}.parquet"
    changes: dict[str, object] = {"sha256": sha256_file(path)}
    if rows:
        changes["rows"] = pq.read_metadata(path).num_rows
    update_entry(folder, table, **changes)


def read(folder: Path, table: str) -> pa.Table:
    return pq.read_table(folder / f"{table}.parquet")


def write(folder: Path, table: str, data: pa.Table) -> None:
    """Write the table back (same file name) and re-seal its manifest entry."""
    pq.write_table(data, folder / f"{table}.parquet")
    reseal(folder, table)


def replace_at(data: pa.Table, column: str, rows: Sequence[int], values: pa.Array) -> pa.Table:
    """``data`` with ``column`` replaced at ``rows`` by ``values`` (same order), keeping the column's type."""
    col = data.column(column).combine_chunks()
    out = col.to_pylist()
    for row, value in zip(rows, values.to_pylist(), strict=True):
        out[row] = value
    index = data.schema.get_field_index(column)
    return data.set_column(index, data.schema.field(index), pa.array(out, type=col.type))


def pick(data: pa.Table, order_by: Sequence[str], n: int, where: pa.Array | None = None) -> list[int]:
    """Row positions of the first ``n`` rows by ``order_by`` (optionally among rows where ``where`` is true):
    deterministic, so the expected example keys are known."""
    indexed = data.append_column("_row", pa.array(range(data.num_rows), type=pa.int64()))
    if where is not None:
        indexed = indexed.filter(where)
    ordered = indexed.sort_by([(c, "ascending") for c in order_by])
    return ordered.column("_row").to_pylist()[:n]


def keys(data: pa.Table, rows: Sequence[int], columns: Sequence[str]) -> list[str]:
    """The check's rendering of primary keys: values joined with ``|``, dates ISO, nulls ``NULL``."""
    picked = data.take(pa.array(rows, type=pa.int64()))
    cols = [picked.column(c).to_pylist() for c in columns]
    return ["|".join("NULL" if v is None else str(v) for v in parts) for parts in zip(*cols, strict=True)]


def rows_of(n: int, total: int) -> str:
    """The count as a check summary states it."""
    return f": {n} of {total} rows"


# --------------------------------------------------------------------------------------------------------------------
# The fault record
# --------------------------------------------------------------------------------------------------------------------


class Name(str):
    """A name (a column, a folder) the error must state on its own: ``diagnosis_code`` is not found inside
    ``raw.diagnosis_codes`` nor ``cut_x`` inside ``cut_x_redelivered``, but a column is found inside a rule name
    such as ``not_null__diagnosis_code``."""

    __slots__ = ()


@dataclass(frozen=True)
class Fault:
    name: str
    table: str  # the table (or "study spec") the fault hits
    what: str
    stage: Stage
    fragments: tuple[Fragment, ...] = ()
    failing: tuple[str, ...] = ()
    edit: Callable[[Path], list[Fragment]] | None = None
    defect: tuple[str, float] | None = None
    spec_edit: Callable[[dict[str, Any]], None] | None = None
    message_gap: str | None = None
    stop_gap: str | None = None
    lock_gap: str | None = None
    slow: bool = False  # in the extended corpus only (``pytest -m slow``): Great Expectations costs ~10 s a fault

    @property
    def cut(self) -> str:
        return CLEAN_CUT if self.name == "repeated_cut_id" else "fault-" + self.name.replace("_", "-")

    @property
    def folder_name(self) -> str:
        return f"{CLEAN_FOLDER}_redelivered" if self.name == "repeated_cut_id" else f"cut_{self.cut}"

    @property
    def how(self) -> str:
        if self.defect:
            return f"generator defect profile {self.defect[0]}={self.defect[1]}"
        if self.spec_edit:
            return "bad study spec"
        return "hand edit of a copy of the clean delivery"
