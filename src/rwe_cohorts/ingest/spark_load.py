"""Landing a delivery on the Spark engine: the raw tables go to the data cut's Spark warehouse (Parquet, cast to the
raw contracts), ``raw.load_log`` to both the Spark warehouse (contract rules read the data cut date from it) and the
DuckDB file (the run ledger's side: the stages read the cut from it). The delivery is verified first, exactly as for
DuckDB (:func:`~rwe_cohorts.ingest.delivery.verify_delivery`); a table Spark cannot read names its file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import duckdb
import pyarrow as pa

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.ingest.delivery import Delivery, DeliveryError, verify_delivery

LOAD_LOG_SCHEMA = pa.schema(
    [
        ("data_cut_id", pa.string()),
        ("data_cut_date", pa.date32()),
        ("table_name", pa.string()),
        ("file_name", pa.string()),
        ("file_sha256", pa.string()),
        ("row_count", pa.int64()),
        ("loaded_at", pa.timestamp("us")),
    ]
)


def load_delivery_spark(
    con: duckdb.DuckDBPyConnection, tables: Any, delivery: Delivery, contracts: Mapping[str, Contract]
) -> dict[str, int]:
    """Verify, then replace every raw table in the Spark warehouse ``tables`` and ``raw.load_log`` in both places."""
    verify_delivery(delivery, contracts)
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    counts: dict[str, int] = {}
    for entry in delivery.tables:
        path = (delivery.folder / entry.file).resolve()
        try:
            counts[entry.table] = tables.load_parquet(f"raw.{entry.table}", path, contracts[f"raw.{entry.table}"])
        except Exception as exc:
            raise DeliveryError(delivery.folder, [f"{entry.file}: Spark cannot read it: {exc}"]) from exc
    log = pa.Table.from_pylist(
        [
            {
                "data_cut_id": delivery.data_cut_id,
                "data_cut_date": delivery.data_cut_date,
                "table_name": e.table,
                "file_name": e.file,
                "file_sha256": e.sha256,
                "row_count": counts[e.table],
                "loaded_at": loaded_at,
            }
            for e in delivery.tables
        ],
        schema=LOAD_LOG_SCHEMA,
    )
    tables.write_arrow("raw.load_log", log)
    con.execute("begin transaction")
    try:
        con.execute("create or replace table raw.load_log as select * from log")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return counts
