"""The ingest stage's study-level step: land one data cut's delivery in the warehouse's ``raw`` schema.

The delivery folder is found in the landing area by its manifest's data cut id, verified (files, checksums, row
counts, columns and types against the raw contracts) and loaded in one transaction; the run ledger records what was
read (manifest hash, file checksums). The staging models then run one per raw table (:mod:`.staging`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from rwe_cohorts.core import ledger
from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.ingest.delivery import Delivery, delivery_for_cut, load_delivery


def land_data_cut(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    data_cut_id: str,
    *,
    run_id: str,
    contracts: Mapping[str, Contract] | None = None,
    spark_tables: Any = None,
) -> Delivery:
    """Verify and land the delivery of ``data_cut_id`` (raises ``DeliveryError`` naming every problem; nothing is
    written then) and record its inputs in the run ledger under ``run_id``. With ``spark_tables`` (the Spark engine's
    warehouse of the cut) the raw tables land there instead (:mod:`.spark_load`)."""
    delivery = delivery_for_cut(landing_dir, data_cut_id)
    contracts = contracts if contracts is not None else load_contracts(CONTRACTS_ROOT, "raw")
    if spark_tables is not None:
        from rwe_cohorts.ingest.spark_load import load_delivery_spark

        load_delivery_spark(con, spark_tables, delivery, contracts)
    else:
        load_delivery(con, delivery, contracts)
    ledger.record_inputs(
        con,
        run_id,
        data_cut_date=delivery.data_cut_date,
        delivery_folder=delivery.folder.name,
        manifest_sha256=delivery.manifest_sha256,
        checksums={t.table: t.sha256 for t in delivery.tables},
    )
    return delivery
