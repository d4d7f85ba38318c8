"""The run ledger ``marts.study_runs`` and content fingerprints of the marts.

Every study run writes one row in its data cut's warehouse: ``started`` when it is granted the run lock, the delivery
and input checksums once the delivery is read, and ``succeeded`` or ``failed`` at the end. Because a run holds the
run lock (``rwe_cohorts.core.runlock``) from start to end, a row still ``started`` when the next run begins belongs to a
run that was killed: it is marked ``interrupted``.

A mart's content hash is the SHA-256 of its rows rendered as text and sorted, with doubles printed to 9 significant
digits, so it does not depend on row order or on the floating-point noise of parallel aggregation (a sum of n doubles
in another order differs by about sqrt(n) units in the 16th digit; 9 digits leave a wide margin).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.core.warehouse import check_identifier

LEDGER = "marts.study_runs"
STATUSES = ("started", "succeeded", "failed", "interrupted", "removed")


@dataclass(frozen=True)
class RunStart:
    run_id: str
    data_cut_id: str
    study_id: str
    spec_hash: str
    spec_json: str
    code_version: str
    package_versions: Mapping[str, str]
    launched_by: str


@dataclass(frozen=True)
class PublishedRun:
    """A run that is publishing its data cut: recorded as succeeded and published, with its mart hashes, inside the
    published copy (so the analysts' ledger includes it), and in the warehouse once the copy is in place."""

    run_id: str
    mart_hashes: Mapping[str, str]
    finished_at: dt.datetime


def published_run(con: duckdb.DuckDBPyConnection, run_id: str, relations: Iterable[str]) -> PublishedRun:
    """The :class:`PublishedRun` of ``run_id``: the content hashes of ``relations`` (the marts) as they are now."""
    return PublishedRun(run_id, mart_hashes(con, relations), _now())


def record_published(con: duckdb.DuckDBPyConnection, run: PublishedRun) -> None:
    """Mark ``run`` succeeded and published in the ledger of ``con`` (the warehouse, or the published copy)."""
    finish_run(
        con, run.run_id, "succeeded", is_published=True, mart_hashes=run.mart_hashes, finished_at=run.finished_at
    )


def record_removal(con: duckdb.DuckDBPyConnection, data_cut_id: str, *, code_version: str, launched_by: str) -> str:
    """A ledger row saying that data cut ``data_cut_id`` was removed (``status = 'removed'``): its publications
    before this row no longer count (:data:`CURRENT_PUBLICATIONS`). Returns the row's id."""
    now = _now()
    row_id = f"removal-{data_cut_id}-{now:%Y%m%dT%H%M%S%f}"
    con.execute(
        f"insert into {LEDGER} (run_id, data_cut_id, study_id, spec_hash, spec_json, code_version, package_versions, "
        "launched_by, started_at, finished_at, status, is_published) "
        "values (?, ?, '-', '-', '{}', ?, '{}', ?, ?, ?, 'removed', false)",
        [row_id, data_cut_id, code_version, launched_by, now, now],
    )
    return row_id


CURRENT_PUBLICATIONS = f"""
    select r.data_cut_id, r.data_cut_date, r.finished_at
    from {LEDGER} as r
    where r.is_published and r.status = 'succeeded'
        and not exists (
            select 1 from {LEDGER} as x
            where x.data_cut_id = r.data_cut_id and x.status = 'removed' and x.finished_at >= r.finished_at
        )
"""
"""Publications that still stand: succeeded, published runs not followed by a removal of their data cut."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def ensure_ledger(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    cols = ", ".join(f"{c.name} {c.type}" for c in contract.columns)
    con.execute(f"create table if not exists {contract.relation} ({cols})")


def start_run(con: duckdb.DuckDBPyConnection, contract: Contract, run: RunStart) -> int:
    """Mark stale ``started`` rows ``interrupted``, then record this run as ``started``; returns how many were stale."""
    ensure_ledger(con, contract)
    con.execute("begin transaction")
    try:
        stale = con.execute(
            f"update {LEDGER} set status = 'interrupted', finished_at = coalesce(finished_at, ?) "
            "where status = 'started' and run_id <> ? returning run_id",
            [_now(), run.run_id],
        ).fetchall()
        con.execute(f"delete from {LEDGER} where run_id = ?", [run.run_id])
        con.execute(
            f"insert into {LEDGER} (run_id, data_cut_id, study_id, spec_hash, spec_json, code_version, "
            "package_versions, launched_by, started_at, status, is_published) "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'started', false)",
            [
                run.run_id,
                run.data_cut_id,
                run.study_id,
                run.spec_hash,
                run.spec_json,
                run.code_version,
                json.dumps(dict(run.package_versions), sort_keys=True),
                run.launched_by,
                _now(),
            ],
        )
        con.execute("commit")
    except duckdb.Error:
        con.execute("rollback")
        raise
    return len(stale)


def record_inputs(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    data_cut_date: dt.date,
    delivery_folder: str,
    manifest_sha256: str,
    checksums: Mapping[str, str],
) -> None:
    con.execute(
        f"update {LEDGER} set data_cut_date = ?, delivery_folder = ?, manifest_sha256 = ?, input_checksums = ? "
        "where run_id = ?",
        [data_cut_date, delivery_folder, manifest_sha256, json.dumps(dict(checksums), sort_keys=True), run_id],
    )


def finish_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    status: str,
    *,
    failed_steps: Iterable[str] = (),
    is_published: bool | None = None,
    mart_hashes: Mapping[str, str] | None = None,
    finished_at: dt.datetime | None = None,
) -> None:
    """Record the end of run ``run_id``: its status, finish time (now unless given), failed steps, whether it
    published and its mart hashes (the last two kept as they were when not given)."""
    if status not in STATUSES:
        raise ValueError(f"unknown run status {status!r} (one of {STATUSES})")
    steps = ", ".join(sorted(set(failed_steps))) or None
    con.execute(
        f"update {LEDGER} set status = ?, finished_at = ?, failed_steps = ?, "
        "is_published = coalesce(?, is_published), mart_hashes = coalesce(?, mart_hashes) where run_id = ?",
        [
            status,
            finished_at or _now(),
            steps,
            is_published,
            json.dumps(dict(mart_hashes), sort_keys=True) if mart_hashes is not None else None,
            run_id,
        ],
    )


def run_status(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    row = con.execute(f"select status from {LEDGER} where run_id = ?", [run_id]).fetchone()
    return str(row[0]) if row else None


def content_hash(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """SHA-256 of a table's rows (as text, sorted); doubles rendered to 9 significant digits."""
    schema, table = check_identifier(relation).split(".", 1)
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    parts = []
    for name, dtype in cols:
        ident = f'"{check_identifier(name)}"'
        if dtype in ("DOUBLE", "FLOAT", "REAL"):
            parts.append(f"coalesce(printf('%.9g', {ident}), '∅')")
        else:
            parts.append(f"coalesce(cast({ident} as varchar), '∅')")
    row_text = " || '\x1f' || ".join(parts) if parts else "''"
    digest = hashlib.sha256()
    digest.update(",".join(f"{n}:{t}" for n, t in cols).encode())
    cursor = con.execute(f"select {row_text} as r from {relation} order by r")
    while batch := cursor.fetchmany(100_000):
        for (text,) in batch:
            digest.update(b"\n")
            digest.update(str(text).encode())
    return digest.hexdigest()


def mart_hashes(con: duckdb.DuckDBPyConnection, relations: Iterable[str]) -> dict[str, str]:
    return {r: content_hash(con, r) for r in sorted(relations) if r != LEDGER}
