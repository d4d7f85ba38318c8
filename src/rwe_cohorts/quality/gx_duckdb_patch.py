"""Make Great Expectations 1.24.1's SQL execution engine work on DuckDB (the one GX patch; pinned to that version).

GX's SQL engine fails on DuckDB through duckdb-engine in two places, both fixed here and nowhere else:

1. ``SqlAlchemyExecutionEngine.execute_query`` returns the cursor result after the pooled connection has gone back
   to the pool; the pool's reset-on-return rolls the DuckDB connection back, which drops the pending result, and
   the caller's ``fetchall()`` fails (an IndexError in ``resolve_metric_bundle``; GX issues #10738 and #11579).
   The replacement reads the result while the connection is still checked out (``freeze()``: the rows stay in
   memory, and GX only ever fetches aggregates or ``limit``-ed example rows).
2. ``get_dialect_regex_expression`` has no DuckDB branch: duckdb-engine's dialect derives from PostgreSQL's, so GX
   emits ``col ~ 'regex'``, which in DuckDB is a *full* match, and our anchors (Python's ``\\A``/``\\Z``; RE2 has no
   ``\\Z``) do not parse. The replacement uses ``regexp_matches`` (search semantics, like GX's pandas path) with the
   Python end anchor ``\\Z`` written as RE2's ``\\z``.

Besides the patch, :func:`bound_connection` lets GX query this process's own DuckDB connection: DuckDB allows one
writer process per file, and a second ``duckdb.connect`` of the same file with another configuration fails, so GX's
SQL data source uses the URL :data:`BOUND_URL` whose dialect hands out the connection bound here (never closing it).

Remove this module when GX ships a working DuckDB engine (the native DuckDB execution engine of GX PR #12084) or
fixes the two functions: ``tests/unit/test_gx_duckdb_patch.py`` fails as soon as the installed GX's source of a
patched function differs from :data:`PINNED_SOURCE_SHA256`, so an upgrade forces a look.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import threading
from collections.abc import Callable, Iterator
from typing import Any

import duckdb

GX_VERSION = "1.24.1"
"""The Great Expectations version the patch was written against (and is only applied to)."""

BOUND_URL = "duckdb+rwe_bound:///bound"
"""SQLAlchemy URL of the data source whose connections are the DuckDB connection bound by :func:`bound_connection`."""

PINNED_SOURCE_SHA256 = {
    "great_expectations.execution_engine.sqlalchemy_execution_engine.SqlAlchemyExecutionEngine.execute_query": (
        "00b686f959e59eec0a8dc12d352dd8c65d3273e42cff8e6e3d4e42862598d06b"
    ),
    "great_expectations.expectations.metrics.util.get_dialect_regex_expression": (
        "5a17107b5d31a39d22ace846d3db36dd958866c6fe084b7d2c3d9dbbde2e1f1f"
    ),
}
"""SHA-256 of the installed GX source (``inspect.getsource``) of each function the patch replaces."""

REGEX_MODULES = (
    "great_expectations.expectations.metrics.util",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex_list",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex_list",
)
"""Modules holding a reference to ``get_dialect_regex_expression`` (imported by name), all re-pointed."""

_lock = threading.Lock()
_applied = False
_bound: list[duckdb.DuckDBPyConnection] = []


class PatchVersionError(RuntimeError):
    """The installed Great Expectations is not the version the DuckDB patch was written for."""


def source_digest(qualified_name: str) -> str:
    """SHA-256 of the installed source of a GX function given as ``module.Class.function`` or ``module.function``."""
    import importlib

    parts = qualified_name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()
    raise ImportError(qualified_name)


def re2_regex(regex: str) -> str:
    r"""A Python regex as RE2 (DuckDB) reads it: the end-of-text anchor ``\Z`` becomes ``\z``.

    >>> re2_regex(r"\A(?:^[A-Z]{2}$)\Z")
    '\\A(?:^[A-Z]{2}$)\\z'
    """
    out: list[str] = []
    i = 0
    while i < len(regex):
        if regex[i] == "\\" and i + 1 < len(regex):
            pair = regex[i : i + 2]
            out.append("\\z" if pair == "\\Z" else pair)
            i += 2
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _is_duckdb(dialect: Any) -> bool:
    target = getattr(dialect, "dialect", dialect)
    return getattr(target, "name", None) == "duckdb"


def _patched_regex(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_dialect_regex_expression(column: Any, regex: str, dialect: Any, positive: bool = True) -> Any:
        if not _is_duckdb(dialect):
            return original(column, regex, dialect, positive)
        import sqlalchemy as sa

        matches = sa.func.regexp_matches(column, sa.literal(re2_regex(regex)))
        return matches if positive else sa.not_(matches)

    get_dialect_regex_expression.__wrapped__ = original  # type: ignore[attr-defined]
    return get_dialect_regex_expression


def _patched_execute_query(original: Callable[..., Any]) -> Callable[..., Any]:
    def execute_query(self: Any, query: Any) -> Any:
        if self.dialect_name != "duckdb":
            return original(self, query)
        with self.get_connection() as connection:
            # read the result before the connection goes back to the pool (whose reset drops it)
            return self._execute_query_with_recovery(connection, query).freeze()()

    execute_query.__wrapped__ = original  # type: ignore[attr-defined]
    return execute_query


def _register_dialect() -> None:
    from sqlalchemy.dialects import registry

    registry.register("duckdb.rwe_bound", __name__, "BoundDialect")


def apply() -> None:
    """Apply the patch once per process (idempotent); refuse another GX version."""
    global _applied
    with _lock:
        if _applied:
            return
        import importlib

        import great_expectations
        from great_expectations.execution_engine import sqlalchemy_execution_engine as see

        if great_expectations.__version__ != GX_VERSION:
            raise PatchVersionError(
                f"rwe_cohorts.quality.gx_duckdb_patch is written for great_expectations {GX_VERSION}, "
                f"found {great_expectations.__version__}: check the patched functions and update the pin"
            )
        engine_class = see.SqlAlchemyExecutionEngine
        engine_class.execute_query = _patched_execute_query(engine_class.execute_query)  # type: ignore[method-assign]
        util = importlib.import_module(REGEX_MODULES[0])
        patched = _patched_regex(util.get_dialect_regex_expression)
        for name in REGEX_MODULES:
            module = importlib.import_module(name)
            if hasattr(module, "get_dialect_regex_expression"):
                setattr(module, "get_dialect_regex_expression", patched)  # noqa: B010
        _register_dialect()
        _applied = True


@contextlib.contextmanager
def bound_connection(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Within the block, GX's data source at :data:`BOUND_URL` queries ``con`` (this process's own connection)."""
    apply()
    _bound.append(con)
    try:
        yield
    finally:
        _bound.pop()


def _make_dialect() -> type:
    import duckdb_engine

    class _Connection(duckdb_engine.ConnectionWrapper):
        """duckdb-engine's wrapper around the bound connection; closing it (pool disposal) leaves it open."""

        def close(self) -> None:
            pass

    class BoundDialect(duckdb_engine.Dialect):
        """duckdb-engine's dialect (name ``duckdb``) connecting to the connection bound by :func:`bound_connection`."""

        supports_statement_cache = False

        @classmethod
        def get_pool_class(cls, url: Any) -> type:
            # no pool: a checked-in wrapper is dropped, so no DuckDB connection outlives its step (a pooled one was
            # still referenced at interpreter exit, and DuckDB's bindings printed a page of "leaked instance" lines)
            from sqlalchemy.pool import NullPool

            return NullPool

        def connect(self, *cargs: Any, **cparams: Any) -> Any:
            if not _bound:
                raise RuntimeError(
                    f"{BOUND_URL}: no DuckDB connection is bound (use rwe_cohorts.quality.gx_duckdb_patch."
                    "bound_connection)"
                )
            return _Connection(_bound[-1])

    return BoundDialect


def __getattr__(name: str) -> Any:
    # SQLAlchemy's registry loads ``BoundDialect`` from this module by name; built on first use (imports duckdb-engine)
    if name == "BoundDialect":
        dialect = _make_dialect()
        globals()["BoundDialect"] = dialect
        return dialect
    raise AttributeError(name)
