"""Small helpers shared by the asset modules: metadata from a table, asset keys from relation names, retries of
transient I/O errors."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from rwe_cohorts.core.warehouse import TableInfo

_RELATION = re.compile(r"\b(raw|staging|intermediate|marts|qa)\.([a-z_][a-z0-9_]*)\b")


def key(relation: str) -> dg.AssetKey:
    return dg.AssetKey(relation.split("."))


def sql_dependencies(sql: str, exclude: str) -> list[str]:
    """Relations a SQL model reads (comments excluded), so the asset graph is derived from the SQL itself."""
    body = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    found = {f"{s}.{t}" for s, t in _RELATION.findall(body)}
    return sorted(found - {exclude})


def table_metadata(info: TableInfo, **extra: object) -> dict[str, object]:
    """Row count and column schema of a table: aggregate facts only, never patient rows."""
    schema = dg.TableSchema(columns=[dg.TableColumn(name=c, type=t) for c, t in info.columns])
    return {"dagster/row_count": info.rows, "dagster/column_schema": schema, "relation": info.relation, **extra}


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
