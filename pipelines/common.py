"""Small helpers shared by the asset modules: metadata from a table, asset keys from relation names, retries of
transient I/O errors, and library errors reported as the step's failure (cause first, no framework wrapper)."""

from __future__ import annotations

import errno
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import dagster as dg
import duckdb

from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT, TableInfo
from rwe_cohorts.publish.database import RESTRICTED

_RELATION = re.compile(r"\b(raw|staging|intermediate|marts|qa)\.([a-z_][a-z0-9_]*)\b")


def key(relation: str) -> dg.AssetKey:
    return dg.AssetKey(relation.split("."))


def sql_dependencies(sql: str, exclude: str) -> list[str]:
    """Relations a SQL model reads (comments excluded), so the asset graph is derived from the SQL itself."""
    body = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    found = {f"{s}.{t}" for s, t in _RELATION.findall(body)}
    return sorted(found - {exclude})


@cache
def _contracts() -> dict[str, Contract]:
    return load_contracts(CONTRACTS_ROOT)


def describe(relation: str) -> str:
    """The asset description: the table's contract description and grain (every table has a contract)."""
    contract = _contracts().get(relation)
    if contract is None:
        return relation
    restricted = " Restricted: patient-level rows." if relation in RESTRICTED else ""
    return f"{contract.description} Grain: {contract.grain}.{restricted}"


def display(value: object) -> object:
    """A number as the UI should show it: floats to 4 significant digits (full precision stays in the marts)."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.4g}")
    return value


def table_metadata(info: TableInfo, **extra: object) -> dict[str, object]:
    """Row count and column schema of a table (with each column's description from the table's contract):
    aggregate facts only, never patient rows. Float values in ``extra`` are rounded for display."""
    contract = _contracts().get(info.relation)
    described = {c.name: c.description for c in contract.columns} if contract else {}
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name=c, type=t, description=described.get(c)) for c, t in info.columns]
    )
    shown = {k: display(v) for k, v in extra.items()}
    return {"dagster/row_count": info.rows, "dagster/column_schema": schema, "relation": info.relation, **shown}


TRANSIENT_ERRNOS = {errno.EAGAIN, errno.EBUSY, errno.EIO, errno.ESTALE, errno.ETIMEDOUT, errno.ENOLCK}
MAX_RETRIES = 3


def is_transient(exc: BaseException) -> bool:
    """I/O errors worth retrying (busy or flaky storage, a lock held briefly); never a validation error."""
    if isinstance(exc, duckdb.IOException):
        return True
    return isinstance(exc, OSError) and (
        isinstance(exc, (BlockingIOError, TimeoutError, InterruptedError)) or exc.errno in TRANSIENT_ERRNOS
    )


@contextmanager
def retry_transient_io(context: dg.AssetExecutionContext) -> Iterator[None]:
    """Retry the step on a transient I/O error, up to 3 times, waiting 2, 4 then 8 s (exponential backoff)."""
    try:
        yield
    except Exception as exc:
        if not is_transient(exc) or context.retry_number >= MAX_RETRIES:
            raise
        wait = 2.0 * 2**context.retry_number
        context.log.warning(f"transient I/O error ({type(exc).__name__}: {exc}); retrying in {wait:.0f} s")
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=wait) from exc


def _is_library_error(exc: BaseException) -> bool:
    """An error raised on purpose by the library (a rejected delivery, an invalid spec, an unusable cohort, ...), as
    opposed to a bug, whose stack trace is worth keeping."""
    return type(exc).__module__.startswith("rwe_cohorts.") and isinstance(exc, ValueError | RuntimeError)


@contextmanager
def explain_failures() -> Iterator[None]:
    """Re-raise a library error as ``dg.Failure`` whose description is the library's message (the file or table, the
    column, the count and example keys), so the run page, the step's last log lines and ``rwe run`` lead with the
    cause. Transient I/O errors and bugs pass through unchanged (retries and stack traces still apply to them)."""
    try:
        yield
    except dg.Failure:
        raise
    except Exception as exc:
        if not _is_library_error(exc) or is_transient(exc):
            raise
        problems = getattr(exc, "problems", None) or getattr(exc, "errors", None)
        metadata: dict[str, dg.RawMetadataValue] = {"error": type(exc).__name__}
        if isinstance(problems, list):
            metadata["problems"] = len(problems)
            metadata["first problems"] = dg.MetadataValue.md("\n".join(f"- {p}" for p in problems[:10]))
        raise dg.Failure(description=str(exc), metadata=metadata) from exc
