"""Ingest: verify a delivery folder against its manifest and the raw data contracts, then land it in ``raw``.

A delivery is a folder with one Parquet file per table and a ``manifest.json`` (table, file, rows, sha256, columns,
data cut). Before anything is written, every file is checked: present, inside the delivery folder, readable as
Parquet, checksum and row count as the manifest says, columns and types as the contract says. Every problem found is
reported at once, each naming the file and column. Only a delivery that passes is loaded, in one transaction: the
``raw`` tables and ``raw.load_log`` are replaced together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from rwe_cohorts.core.contracts import Contract

MANIFEST = "manifest.json"
NO_MANIFEST = f"{MANIFEST}: missing"

_ARROW_OK: dict[str, tuple[Any, ...]] = {
    "VARCHAR": (pa.types.is_string, pa.types.is_large_string),
    "INTEGER": (pa.types.is_integer,),
    "BIGINT": (pa.types.is_integer,),
    "DOUBLE": (pa.types.is_floating,),
    "DATE": (pa.types.is_date32,),
    "BOOLEAN": (pa.types.is_boolean,),
    "TIMESTAMP": (pa.types.is_timestamp,),
}


class DeliveryError(ValueError):
    """A delivery cannot be ingested; ``problems`` lists each one (file, column, what is wrong)."""

    def __init__(self, folder: Path, problems: list[str]) -> None:
        self.folder = folder
        self.problems = problems
        super().__init__(f"delivery {folder} rejected: {len(problems)} problem(s)\n  " + "\n  ".join(problems[:50]))


@dataclass(frozen=True)
class ManifestTable:
    table: str
    file: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class Delivery:
    folder: Path
    data_cut_id: str
    data_cut_date: dt.date
    schema_version: str
    tables: tuple[ManifestTable, ...]
    manifest_sha256: str

    def table(self, name: str) -> ManifestTable:
        for t in self.tables:
            if t.table == name:
                return t
        raise KeyError(name)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_delivery(folder: Path) -> Delivery:
    """Parse a delivery's manifest (structure only; contents are verified by ``verify_delivery``)."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise DeliveryError(folder, [NO_MANIFEST])
    try:
        raw = json.loads(path.read_text())
        tables = tuple(
            ManifestTable(table=str(t["table"]), file=str(t["file"]), rows=int(t["rows"]), sha256=str(t["sha256"]))
            for t in raw["tables"]
        )
        return Delivery(
            folder=folder,
            data_cut_id=str(raw["data_cut_id"]),
            data_cut_date=dt.date.fromisoformat(str(raw["data_cut_date"])),
            schema_version=str(raw["schema_version"]),
            tables=tables,
            manifest_sha256=sha256_file(path),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise DeliveryError(folder, [f"{MANIFEST}: malformed ({type(exc).__name__}: {exc})"]) from exc


def read_manifests(landing: Path) -> tuple[list[Delivery], dict[str, list[str]]]:
    """The manifest of every delivery folder under ``landing`` (files not looked at): the readable ones, and the
    folders whose manifest is missing or malformed with their problems. Hidden folders are skipped."""
    landing = Path(landing)
    found: list[Delivery] = []
    unreadable: dict[str, list[str]] = {}
    if not landing.is_dir():
        return found, unreadable
    for folder in sorted(p for p in landing.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            found.append(read_delivery(folder))
        except DeliveryError as exc:
            unreadable[folder.name] = exc.problems
    return found, unreadable


_CUT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_cut_id(cut_id: str) -> str:
    """A data cut id names a partition and a warehouse file: letters, digits, ``.``, ``_``, ``-`` (at most 64)."""
    if not _CUT_ID.match(cut_id):
        raise ValueError(
            f"data cut id {cut_id!r} is not valid: use letters, digits, '.', '_' or '-' (1 to 64, not starting "
            "with a punctuation mark)"
        )
    return cut_id


def _file_problems(folder: Path, entry: ManifestTable, *, checksum: bool = True) -> tuple[Path | None, list[str]]:
    """A manifest entry's file: inside the delivery folder, present, not empty, with the manifest's checksum (unless
    ``checksum`` is off). Returns the path when the file can be read further (even with a checksum problem), and the
    problems."""
    path = (folder / entry.file).resolve()
    if path.parent != folder:
        return None, [f"{entry.file}: path escapes the delivery folder"]
    if not path.is_file():
        return None, [f"{entry.file}: file missing"]
    if path.stat().st_size == 0:
        return None, [f"{entry.file}: file is empty (0 bytes)"]
    if not checksum:
        return path, []
    digest = sha256_file(path)
    if digest != entry.sha256:
        return path, [f"{entry.file}: checksum {digest[:12]}... differs from manifest {entry.sha256[:12]}..."]
    return path, []


def missing_or_changed_files(delivery: Delivery) -> list[str]:
    """Files of the manifest that are absent, outside the folder, empty, or whose checksum differs (a delivery still
    being copied looks like this). Empty when every file is in place as the manifest says."""
    folder = delivery.folder.resolve()
    return [problem for entry in delivery.tables for problem in _file_problems(folder, entry)[1]]


@dataclass(frozen=True)
class LandingScan:
    """What the landing area holds: complete deliveries by data cut, and folders not (yet) usable, with reasons."""

    complete: Mapping[str, Delivery]
    incomplete: Mapping[str, list[str]]


def scan_landing(landing: Path, *, registered: Collection[str] = ()) -> LandingScan:
    """Every delivery folder under ``landing``: complete (manifest readable, every file present with the manifest's
    checksum) or not, with reasons. Two folders claiming the same data cut id are both refused.

    Folders of ``registered`` data cuts (already known to the orchestrator) are not checksummed again: a sensor calls
    this every minute.
    """
    deliveries, unreadable = read_manifests(landing)
    incomplete: dict[str, list[str]] = dict(unreadable)
    complete: dict[str, Delivery] = {}
    claims: dict[str, list[str]] = {}
    for delivery in deliveries:
        try:
            check_cut_id(delivery.data_cut_id)
        except ValueError as exc:
            incomplete[delivery.folder.name] = [str(exc)]
            continue
        claims.setdefault(delivery.data_cut_id, []).append(delivery.folder.name)
        problems = [] if delivery.data_cut_id in registered else missing_or_changed_files(delivery)
        if problems:
            incomplete[delivery.folder.name] = problems
        else:
            complete[delivery.data_cut_id] = delivery
    for cut, folders in claims.items():
        if len(folders) > 1:
            for name in folders:
                incomplete[name] = [f"data cut {cut!r} is claimed by {len(folders)} folders: {', '.join(folders)}"]
            complete.pop(cut, None)
    return LandingScan(complete=complete, incomplete=incomplete)


def delivery_for_cut(landing: Path, cut_id: str) -> Delivery:
    """The delivery folder of data cut ``cut_id``; an error if none or several folders claim it."""
    check_cut_id(cut_id)
    landing = Path(landing)
    deliveries, unreadable = read_manifests(landing)
    matches = [d for d in deliveries if d.data_cut_id == cut_id]
    if not matches:
        problems = [f"no delivery folder under {landing} has data_cut_id {cut_id!r}"]
        broken = [f"{name}/{p}" for name, ps in unreadable.items() if ps != [NO_MANIFEST] for p in ps]
        if broken:
            problems += ["folders whose manifest could not be read (one of them may be this cut):", *broken]
        raise DeliveryError(landing / cut_id, problems)
    if len(matches) > 1:
        names = ", ".join(d.folder.name for d in matches)
        raise DeliveryError(
            matches[1].folder,
            [f"data cut {cut_id!r} is delivered twice ({names}): a data cut id must not repeat an earlier one"],
        )
    return matches[0]


def _type_ok(contract_type: str, arrow_type: pa.DataType) -> bool:
    return any(pred(arrow_type) for pred in _ARROW_OK[contract_type])


def verify_delivery(delivery: Delivery, contracts: Mapping[str, Contract], *, checksums: bool = True) -> None:
    """Check every file of the delivery against the manifest and the ``raw`` contracts; raise listing all problems.
    ``checksums=False`` skips reading whole files (the pre-flight's quick look: footers, row counts, columns)."""
    problems: list[str] = []
    folder = delivery.folder.resolve()
    by_table = {t.table: t for t in delivery.tables}
    expected = {c.table: c for c in contracts.values() if c.schema == "raw" and c.table != "load_log"}
    for name in sorted(set(expected) - set(by_table)):
        problems.append(f"{name}: table missing from {MANIFEST}")
    for name in sorted(set(by_table) - set(expected)):
        problems.append(f"{by_table[name].file}: table {name!r} has no data contract (unexpected table)")
    for name in sorted(set(expected) & set(by_table)):
        entry, contract = by_table[name], expected[name]
        path, file_problems = _file_problems(folder, entry, checksum=checksums)
        problems += file_problems
        if path is None:
            continue
        try:
            meta = pq.read_metadata(path)
            schema = pq.read_schema(path)
        except (pa.ArrowInvalid, OSError) as exc:
            problems.append(f"{entry.file}: not a readable Parquet file ({exc})")
            continue
        if meta.num_rows != entry.rows:
            problems.append(f"{entry.file}: {meta.num_rows} rows, manifest says {entry.rows}")
        if meta.num_rows == 0 and name not in {"mortality"}:
            problems.append(f"{entry.file}: table has no rows")
        delivered = {f.name: f.type for f in schema}
        for col in contract.columns:
            if col.name not in delivered:
                problems.append(f"{entry.file}: column {col.name!r} missing")
            elif not _type_ok(col.type, delivered[col.name]):
                problems.append(
                    f"{entry.file}: column {col.name!r} has type {delivered[col.name]}, contract says {col.type}"
                )
        for extra in [c for c in delivered if c not in contract.column_names]:
            problems.append(f"{entry.file}: column {extra!r} is not in the contract (extra column)")
    if problems:
        raise DeliveryError(delivery.folder, problems)


def unreadable_columns(path: Path, name: str, exc: Exception) -> list[str]:
    """Which columns of a Parquet file cannot be decoded (read one column at a time); the engine's message if none."""
    problems = []
    try:
        columns = pq.read_schema(path).names
    except (pa.ArrowException, OSError):
        columns = []
    for column in columns:
        try:
            pq.read_table(path, columns=[column])
        except (pa.ArrowException, OSError) as err:
            problems.append(f"{name}: column {column!r} unreadable ({type(err).__name__}: {str(err)[:200]})")
    return problems or [f"{name}: data unreadable ({type(exc).__name__}: {str(exc)[:300]})"]


def load_delivery(
    con: duckdb.DuckDBPyConnection, delivery: Delivery, contracts: Mapping[str, Contract]
) -> dict[str, int]:
    """Verify, then replace every ``raw`` table and ``raw.load_log`` in one transaction. Returns rows per table."""
    verify_delivery(delivery, contracts)
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        log_rows = []
        for entry in delivery.tables:
            contract = contracts[f"raw.{entry.table}"]
            cols = ", ".join(f"cast({c.name} as {c.type}) as {c.name}" for c in contract.columns)
            path = str((delivery.folder / entry.file).resolve())
            try:
                con.execute(f"create or replace table raw.{entry.table} as select {cols} from read_parquet(?)", [path])
            except duckdb.Error as exc:
                # the footer was fine (verify_delivery) but the data pages are not: name the unreadable columns
                raise DeliveryError(delivery.folder, unreadable_columns(Path(path), entry.file, exc)) from exc
            row = con.execute(f"select count(*) from raw.{entry.table}").fetchone()
            counts[entry.table] = int(row[0]) if row else 0
            log_rows.append(
                (
                    delivery.data_cut_id,
                    delivery.data_cut_date,
                    entry.table,
                    entry.file,
                    entry.sha256,
                    counts[entry.table],
                    loaded_at,
                )
            )
        con.execute(
            "create or replace table raw.load_log (data_cut_id varchar, data_cut_date date, table_name varchar, "
            "file_name varchar, file_sha256 varchar, row_count bigint, loaded_at timestamp)"
        )
        con.executemany("insert into raw.load_log values (?, ?, ?, ?, ?, ?, ?)", log_rows)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return counts
