"""The Spark warehouse: a data cut's tables as Parquet folders, built by the same SQL models as DuckDB's.

A data cut's Spark warehouse is one folder, ``<warehouse dir>/<data cut>.spark/<schema>/<table>/`` (Parquet); no
metastore is needed, so several data cuts (and studies) can share one SparkSession or cluster and a cut is retired by
deleting its folder. SQL models are read from ``sql/<layer>/<relation>.sql`` (DuckDB's dialect, written once) and
translated by :mod:`rwe_cohorts.core.transpile`; a table is written to a fresh folder and moved into place, so a
reader sees the old table or the new one, never a half-written one (on a local or POSIX shared file system).

:class:`SparkSql` gives the checks a small DuckDB-shaped connection over this warehouse (``sql(...)`` /
``execute(...)`` returning relations with ``fetchall``, ``fetchone``, ``columns``, Arrow results): the quality and
cohort checks keep their DuckDB SQL and run it on Spark, translated the same way.

pyspark is an optional extra (``uv sync --extra spark``, Java 17 on the machine); this module imports it lazily.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
import sqlglot
from sqlglot import exp

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.core.transpile import TranspileError, to_spark
from rwe_cohorts.core.warehouse import (
    SQL_ROOT,
    SqlModelError,
    TableInfo,
    check_identifier,
    model_parameters,
    model_path,
)

BATCH_COLUMN = "__batch"
"""The batch number column of the quality checks' query (``rwe_cohorts.quality.derived.BATCH_COLUMN``; the core
cannot import a stage)."""

DEFAULT_SHUFFLE_PARTITIONS = 8
"""Spark's default of 200 shuffle partitions makes every join and aggregate of a small delivery pay for 200 tasks;
8 keeps a 2-core local session busy without the per-task overhead. On a cluster set about 2-3 per executor core."""


@dataclass(frozen=True)
class SparkSettings:
    """How to reach Spark: ``master`` is ``local[N]`` / ``local[*]``, a cluster master URL (``spark://``, ``yarn``,
    ``k8s://``) or a Spark Connect endpoint (``sc://host:15002``)."""

    master: str = "local[*]"
    driver_memory: str = ""
    shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS
    local_dir: str = ""
    extra: tuple[tuple[str, str], ...] = ()


class SparkSqlError(duckdb.Error):
    """A statement failed on Spark (analysis or execution); raised as a ``duckdb.Error`` so code written against a
    DuckDB connection (the checks) handles it the same way. The message names the statement's origin."""


def default_driver_memory() -> str:
    """Half of physical RAM in GB (at least 1g): in local mode the driver is the whole of Spark."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1, total // 2 // 2**30)}g"


def session(settings: SparkSettings | None = None) -> Any:
    """The SparkSession (created once per process; later calls return it). UTC session time zone; ANSI mode off so
    a division by zero is null, as in DuckDB; the UI off."""
    from pyspark.sql import SparkSession

    s = settings or SparkSettings()
    if s.master.startswith("sc://"):
        return SparkSession.builder.remote(s.master).getOrCreate()
    builder = (
        SparkSession.builder.master(s.master)
        .appName("rwe-cohorts")
        .config("spark.driver.memory", s.driver_memory or default_driver_memory())
        .config("spark.sql.shuffle.partitions", str(s.shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
    )
    if s.local_dir:
        builder = builder.config("spark.local.dir", s.local_dir)
    for k, v in s.extra:
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # pyspark logs every failed statement with its whole JVM stack; our errors carry the first line instead
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    return spark


def spark_type(duckdb_type: str) -> str:
    """A contract (DuckDB) type as a Spark SQL type: ``VARCHAR[]`` -> ``ARRAY<STRING>``."""
    if duckdb_type.upper() == "TIMESTAMP":
        return "TIMESTAMP_NTZ"  # DuckDB's TIMESTAMP has no time zone
    return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="spark")


def duckdb_type(spark_simple: str) -> str:
    """A Spark type (``simpleString``) as the DuckDB type name used in table metadata."""
    if spark_simple == "timestamp_ntz":
        return "TIMESTAMP"
    return exp.DataType.build(spark_simple, dialect="spark").sql(dialect="duckdb")


class SparkWarehouse:
    """One data cut's tables on Spark (Parquet folders under ``root``), built from the SQL models."""

    def __init__(self, spark: Any, root: Path | str) -> None:
        self.spark = spark
        self.root = Path(root)

    def location(self, relation: str) -> str:
        schema, table = check_identifier(relation).split(".", 1)
        return str(self.root / schema / table)

    def exists(self, relation: str) -> bool:
        return Path(self.location(relation)).is_dir()

    def frame(self, relation: str) -> Any:
        """The table as a Spark DataFrame (a missing table is an error naming it)."""
        if not self.exists(relation):
            raise SparkSqlError(f"Spark warehouse {self.root}: table {relation} does not exist")
        return self.spark.read.parquet(self.location(relation))

    def to_spark(self, sql: str, params: Mapping[str, Any] | None = None) -> str:
        return to_spark(sql, params, locate=self.location)

    def _write(self, relation: str, df: Any) -> None:
        target = Path(self.location(relation))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        df.write.parquet(str(tmp))
        old = target.with_name(f".{target.name}.{uuid.uuid4().hex}.old")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)

    def materialize(
        self, relation: str, params: Mapping[str, Any] | None = None, *, sql_root: Path = SQL_ROOT
    ) -> TableInfo:
        """Run ``sql/<schema>/<table>.sql`` on Spark and replace the table with its result."""
        path = model_path(relation, sql_root)
        sql = path.read_text()
        params = params or {}
        missing = [p for p in model_parameters(sql) if p not in params]
        name = path.relative_to(sql_root.parent)
        if missing:
            raise SqlModelError(f"{name}: parameters not provided: {missing}")
        try:
            df = self.spark.sql(self.to_spark(sql.strip().rstrip(";"), params))
            self._write(relation, df)
        except TranspileError as exc:
            raise SqlModelError(f"{name}: {exc}") from exc
        except Exception as exc:
            if type(exc).__module__.startswith(("pyspark", "py4j")):
                raise SqlModelError(f"{name} on Spark: {_first_line(exc)}") from exc
            raise
        return self.table_info(relation)

    def load_parquet(self, relation: str, path: Path | str, contract: Contract) -> int:
        """Replace ``relation`` with a Parquet file cast to its contract's columns and types; returns the rows."""
        df = self.spark.read.parquet(str(path))
        cols = [f"cast(`{check_identifier(c.name)}` as {spark_type(c.type)}) as `{c.name}`" for c in contract.columns]
        self._write(relation, df.selectExpr(*cols))
        return int(self.frame(relation).count())

    def write_arrow(self, relation: str, table: pa.Table, contract: Contract | None = None) -> None:
        """Replace ``relation`` with an Arrow table (cast to the contract's types when given)."""
        df = self.spark.createDataFrame(table)
        if contract is not None:
            cols = [f"cast(`{c.name}` as {spark_type(c.type)}) as `{c.name}`" for c in contract.columns]
            df = df.selectExpr(*cols)
        self._write(relation, df)

    def table_info(self, relation: str) -> TableInfo:
        df = self.frame(relation)
        columns = tuple((f.name, duckdb_type(f.dataType.simpleString())) for f in df.schema.fields)
        return TableInfo(relation=relation, rows=int(df.count()), columns=columns)

    def read_arrow(self, relation: str, columns: tuple[str, ...] | None = None) -> pa.Table:
        df = self.frame(relation)
        if columns:
            df = df.select(*[check_identifier(c) for c in columns])
        return df.toArrow()

    def read_frame(self, relation: str, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
        frame = pl.from_arrow(self.read_arrow(relation, columns))
        assert isinstance(frame, pl.DataFrame)
        return frame

    def list_tables(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            f"{s.name}.{t.name}"
            for s in self.root.iterdir()
            if s.is_dir() and not s.name.startswith(".")
            for t in s.iterdir()
            if t.is_dir() and not t.name.startswith(".")
        )

    def remove(self) -> None:
        """Delete the data cut's Spark warehouse (every table)."""
        shutil.rmtree(self.root, ignore_errors=True)

    def sql_connection(self) -> SparkSql:
        return SparkSql(self)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "desc", None) or exc).strip()
    return text.split("\n", 1)[0][:2000]


class SparkRelation:
    """The result of one statement on Spark, shaped like a DuckDB relation for the calls the checks make."""

    def __init__(self, warehouse: SparkWarehouse, sql: str, params: Mapping[str, Any] | None) -> None:
        try:
            self._spark_sql = warehouse.to_spark(sql, params)
        except (TranspileError, sqlglot.errors.SqlglotError) as exc:
            raise SparkSqlError(f"cannot translate to Spark SQL: {exc}") from exc
        self._df = self._guard(lambda: warehouse.spark.sql(self._spark_sql))

    @staticmethod
    def _guard(call: Any) -> Any:
        try:
            return call()
        except SparkSqlError:
            raise
        except Exception as exc:
            if type(exc).__module__.startswith(("pyspark", "py4j")):
                raise SparkSqlError(_first_line(exc)) from exc
            raise

    @property
    def columns(self) -> list[str]:
        return list(self._df.columns)

    def to_arrow_table(self) -> pa.Table:
        return self._guard(self._df.toArrow)

    def arrow(self) -> pa.Table:
        return self.to_arrow_table()

    def to_arrow_reader(self, batch_rows: int = 100_000) -> pa.RecordBatchReader:
        """The rows as Arrow record batches. A result with the checks' batch column (``__batch``, rows sorted by it)
        is collected one batch number at a time from a cached result, so the driver holds one batch, not the table."""
        if BATCH_COLUMN not in self.columns:
            table = self.to_arrow_table()
            return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=batch_rows))
        df = self._df.persist()
        numbers = sorted(int(r[0]) for r in self._guard(df.select(BATCH_COLUMN).distinct().collect))
        schema = self._guard(df.limit(0).toArrow).schema

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                for number in numbers:
                    part = self._guard(df.filter(df[BATCH_COLUMN] == number).toArrow)
                    yield from part.cast(schema).to_batches(max_chunksize=batch_rows)
            finally:
                df.unpersist()

        return pa.RecordBatchReader.from_batches(schema, batches())

    def pl(self) -> pl.DataFrame:
        frame = pl.from_arrow(self.to_arrow_table())
        assert isinstance(frame, pl.DataFrame)
        return frame

    def df(self) -> Any:
        return self.to_arrow_table().to_pandas()

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._guard(self._df.collect)
        return [tuple(_plain(v) for v in r) for r in rows]

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


def _plain(value: Any) -> Any:
    """Spark ``Row`` structs as dicts and arrays as lists (DuckDB's Python values for STRUCT and LIST)."""
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class SparkSql:
    """A DuckDB-shaped, read-only connection over a :class:`SparkWarehouse`: DuckDB SQL in, Spark computes."""

    def __init__(self, warehouse: SparkWarehouse) -> None:
        self.warehouse = warehouse

    def sql(self, query: str, params: Mapping[str, Any] | None = None) -> SparkRelation:
        return SparkRelation(self.warehouse, query, params)

    def execute(self, query: str, params: Mapping[str, Any] | None = None) -> SparkRelation:
        if params is not None and not isinstance(params, Mapping):
            raise SparkSqlError("positional parameters are not supported on Spark: bind them by name ($name)")
        return SparkRelation(self.warehouse, query, params)

    def close(self) -> None:
        """Nothing to release: the SparkSession outlives its connections."""

    def __enter__(self) -> SparkSql:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
