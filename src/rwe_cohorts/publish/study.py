"""The publish stage's study-level step: put one data cut's marts and QA results in the analysts' database.

The run's mart hashes are taken from the warehouse, the cut is published (aggregates only, small counts suppressed
as the contracts say) with the run recorded as succeeded and published inside the same atomic replace, and then the
warehouse's ledger is updated to match. A run killed at any point before the replace leaves the analysts' database
as it was and its ledger row ``started`` (the next run marks it ``interrupted``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import duckdb

from rwe_cohorts.core import ledger
from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.core.warehouse import list_tables
from rwe_cohorts.publish.database import PublishResult, publish


def publish_data_cut(
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    warehouse_path: Path,
    target: Path,
    contracts: Mapping[str, Contract],
    *,
    data_cut_id: str,
    run_id: str,
    min_cell: int,
) -> tuple[PublishResult, ledger.PublishedRun]:
    """Publish ``data_cut_id`` from the warehouse at ``warehouse_path`` (opened for writing with ``connect``) to
    ``target`` and record run ``run_id`` as succeeded and published, in that order."""
    with connect() as con:
        run = ledger.published_run(con, run_id, list_tables(con, ["marts"]))
    result = publish(warehouse_path, target, contracts, data_cut_id=data_cut_id, min_cell=min_cell, run=run)
    with connect() as con:
        ledger.record_published(con, run)
    return result, run
