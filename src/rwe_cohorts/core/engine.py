"""The warehouse engine the SQL stages run on: ``duckdb`` (default, embedded) or ``spark`` (pyspark, optional extra).

Both engines run the same SQL models (``sql/<layer>/<relation>.sql``, DuckDB's dialect; Spark gets them translated
by :mod:`rwe_cohorts.core.transpile`). Whatever the engine, each data cut keeps its DuckDB warehouse file: it holds
the run ledger, the quality results, ``raw.load_log`` and every table the Python stages read or write (the analytic
cohort and Table 1 onwards), so matching, survival, the report and publishing run unchanged on the collected cohort.

With Spark, the patient-level SQL layers (raw, staging, intermediate) live in the Spark warehouse only
(:class:`~rwe_cohorts.core.spark.SparkWarehouse`, Parquet per table per data cut); the SQL models whose results the
Python stages read (:data:`COLLECTED`) are built on Spark and then copied into the DuckDB file, cast to their
contracts; tables Python writes that SQL models read (:func:`python_inputs`: the matched cohort, read by the
attrition model) are copied the other way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol

import polars as pl

from rwe_cohorts.core import warehouse
from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.warehouse import SQL_ROOT, TableInfo

ENGINES = ("duckdb", "spark")
EngineName = Literal["duckdb", "spark"]

COLLECTED = (
    "intermediate.patient_outcomes",
    "intermediate.cohort_time_axes",
    "marts.analytic_cohort",
    "intermediate.cohort_covariate_values",
    "marts.baseline_characteristics",
    "marts.attrition",
)
"""SQL models whose results the Python stages read from the DuckDB file: matching the analytic cohort (and the
covariate values for the matched Table 1), survival the time axes, the report Table 1, the attrition and the
outcomes (it recomputes the cohort invariants)."""

_RELATION = re.compile(r"\b((?:raw|staging|intermediate|marts|qa)\.[a-z_][a-z0-9_]*)\b")


@cache
def python_inputs(sql_root: Path = SQL_ROOT) -> frozenset[str]:
    """Relations the SQL models read that no SQL model builds and no delivery holds (written by Python stages)."""
    models = {f"{p.parent.name}.{p.stem}" for p in sql_root.glob("*/*.sql")}
    read: set[str] = set()
    for path in sql_root.glob("*/*.sql"):
        body = "\n".join(line.split("--", 1)[0] for line in path.read_text().splitlines())
        read.update(_RELATION.findall(body))
    return frozenset(r for r in read if r not in models and not r.startswith("raw."))


class Engine(Protocol):
    """What the SQL stages ask of a warehouse engine, for one data cut."""

    name: str

    def materialize(self, relation: str, params: Mapping[str, Any] | None = None) -> TableInfo: ...

    def table_info(self, relation: str) -> TableInfo: ...

    def read_frame(self, relation: str, columns: tuple[str, ...] | None = None) -> pl.DataFrame: ...

    def data_sql(self) -> Any:
        """A context manager yielding a DuckDB-shaped connection (``sql``, ``execute``) over the engine's tables."""
        ...

    def written(self, relation: str, frame: pl.DataFrame, contract: Contract) -> None:
        """Called after a Python stage replaced ``relation`` in the DuckDB file with ``frame``."""
        ...


@dataclass
class DuckDBEngine:
    """The embedded engine: every table in the data cut's DuckDB file."""

    path: Path
    threads: int = 0
    memory_limit: str = ""
    name: str = "duckdb"

    def connect(self, *, read_only: bool = False) -> Any:
        return warehouse.connect(self.path, read_only=read_only, threads=self.threads, memory_limit=self.memory_limit)

    def materialize(self, relation: str, params: Mapping[str, Any] | None = None) -> TableInfo:
        with self.connect() as con:
            return warehouse.materialize_model(con, relation, params)

    def table_info(self, relation: str) -> TableInfo:
        with self.connect() as con:
            return warehouse.table_info(con, relation)

    def read_frame(self, relation: str, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
        with self.connect() as con:
            return warehouse.read_frame(con, relation, columns)

    @contextmanager
    def data_sql(self) -> Iterator[Any]:
        with self.connect() as con:
            yield con

    def written(self, relation: str, frame: pl.DataFrame, contract: Contract) -> None:
        """Nothing to do: the DuckDB file is the engine."""


@dataclass
class SparkEngine:
    """Spark computes the SQL layers; the DuckDB file (``duckdb``) keeps what the Python stages read and write."""

    tables: Any  # rwe_cohorts.core.spark.SparkWarehouse (pyspark is imported only when Spark is chosen)
    duckdb: DuckDBEngine
    name: str = "spark"

    def materialize(self, relation: str, params: Mapping[str, Any] | None = None) -> TableInfo:
        info: TableInfo = self.tables.materialize(relation, params)
        if relation in COLLECTED:
            contract = load_contracts(warehouse.CONTRACTS_ROOT)[relation]
            with self.duckdb.connect() as con:
                warehouse.replace_table(con, relation, self.tables.read_frame(relation), contract)
        return info

    def table_info(self, relation: str) -> TableInfo:
        if relation in COLLECTED or relation == "raw.load_log" or not self.tables.exists(relation):
            return self.duckdb.table_info(relation)
        info: TableInfo = self.tables.table_info(relation)
        return info

    def read_frame(self, relation: str, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
        if self.tables.exists(relation):
            frame: pl.DataFrame = self.tables.read_frame(relation, columns)
            return frame
        return self.duckdb.read_frame(relation, columns)

    @contextmanager
    def data_sql(self) -> Iterator[Any]:
        yield self.tables.sql_connection()

    def written(self, relation: str, frame: pl.DataFrame, contract: Contract) -> None:
        if relation in python_inputs():
            self.tables.write_arrow(relation, frame.to_arrow(), contract)


def spark_engine(
    duckdb: DuckDBEngine, *, root: Path, master: str = "local[*]", driver_memory: str = "", shuffle_partitions: int = 0
) -> SparkEngine:
    """The Spark engine for one data cut: its tables under ``root`` (``<warehouse dir>/<data cut>.spark``)."""
    from rwe_cohorts.core import spark

    settings = spark.SparkSettings(
        master=master,
        driver_memory=driver_memory,
        shuffle_partitions=shuffle_partitions or spark.DEFAULT_SHUFFLE_PARTITIONS,
        local_dir=str(root.parent / ".spark-tmp"),
    )
    return SparkEngine(tables=spark.SparkWarehouse(spark.session(settings), root), duckdb=duckdb)


def check_engine(name: str) -> EngineName:
    """``RWE_ENGINE`` validated: ``duckdb`` or ``spark`` (a typo is an error naming the choices)."""
    value = name.strip().lower() or "duckdb"
    if value not in ENGINES:
        raise ValueError(f"RWE_ENGINE={name!r}: the warehouse engine is one of {', '.join(ENGINES)}")
    return value  # type: ignore[return-value]
