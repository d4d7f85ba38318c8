"""A thin wrapper around a Great Expectations data context (file-backed or ephemeral).

The file mode keeps a GX project under ``<root>/gx`` (``great_expectations.yml``, suites under ``expectations/``,
validation results and the static Data Docs site under ``uncommitted/``). Two data sources: contract suites run on
GX's SQL engine against this process's DuckDB connection (data source ``rwe_cohorts_duckdb``, one query asset per
relation over a temporary view; see :mod:`rwe_cohorts.quality.gx_duckdb_patch`), so DuckDB computes every metric and
only counts and example keys come back; small frames (the genomics aggregates, and the pandas reference path of the
contract suites) go to an in-memory pandas data source (``rwe_cohorts_frames``, one dataframe asset per suite).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import warnings
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import pandas as pd

from rwe_cohorts.quality import gx_duckdb_patch
from rwe_cohorts.quality._gx import ExpectationSuiteValidationResult, disable_batch_fingerprint, gx
from rwe_cohorts.quality.data_docs import localize

DATASOURCE = "rwe_cohorts_frames"
SQL_DATASOURCE = "rwe_cohorts_duckdb"
BATCH_DEFINITION = "whole_frame"
SQL_BATCH_DEFINITION = "whole_table"


class DataDocsUnavailableError(RuntimeError):
    """Data Docs were requested from an ephemeral context (it has no site on disk)."""


def result_format(max_examples: int, key_columns: tuple[str, ...] = ()) -> dict[str, Any]:
    """GX result format: counts plus the first ``max_examples`` unexpected values and their row labels or keys.

    On the pandas path no ``unexpected_index_column_names``: with them GX builds a dict per unexpected row in a Python
    loop before truncating (minutes for a rule failing on every row of a million-row table); the runner maps the few
    row labels back to primary keys itself. On the SQL path (``key_columns`` given) GX selects the key columns of the
    first ``max_examples`` unexpected rows (a ``limit``-ed query). No row dumps and no index query either.
    """
    out: dict[str, Any] = {
        "result_format": "SUMMARY",
        "partial_unexpected_count": max_examples,
        "include_unexpected_rows": False,
        "return_unexpected_index_query": False,
    }
    if key_columns:
        out["unexpected_index_column_names"] = list(key_columns)
    return out


class GXContext:
    """Owns one GX data context: saves suites, runs them in DuckDB or on pandas frames, stores results, Data Docs.

    Use :meth:`file` for a persistent project (results and Data Docs on disk) or :meth:`ephemeral` for fast,
    in-memory validation without Data Docs. Not thread-safe: use one instance per process.
    """

    def __init__(self, context: Any, *, mode: Literal["file", "ephemeral"], root: Path | None = None) -> None:
        self._context = context
        self.mode = mode
        self.root = root
        self._suites: dict[str, tuple[Hashable, Any]] = {}
        self._pending: set[tuple[str, tuple[Any, ...]]] = set()
        disable_batch_fingerprint()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        if mode == "file":
            self._context.variables.save()
        # reuse the saved datasource: re-adding it would drop the assets the saved validation definitions point at
        self._datasource = (
            self._context.data_sources.get(DATASOURCE)
            if DATASOURCE in self._context.data_sources.all()
            else self._context.data_sources.add_pandas(DATASOURCE)
        )
        self._sql_datasource: Any = None

    def sql_datasource(self) -> Any:
        """The SQL data source over the bound DuckDB connection (created on first use; applies the GX patch)."""
        if self._sql_datasource is None:
            gx_duckdb_patch.apply()
            sources = self._context.data_sources
            self._sql_datasource = (
                sources.get(SQL_DATASOURCE)
                if SQL_DATASOURCE in sources.all()
                else sources.add_sql(SQL_DATASOURCE, connection_string=gx_duckdb_patch.BOUND_URL)
            )
        return self._sql_datasource

    @classmethod
    def file(cls, root: Path) -> GXContext:
        """A file-backed context in ``<root>/gx`` (created when absent)."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        return cls(gx.get_context(mode="file", project_root_dir=str(root)), mode="file", root=root)

    @classmethod
    def ephemeral(cls) -> GXContext:
        """An in-memory context: suites and results are not persisted and there are no Data Docs."""
        return cls(gx.get_context(mode="ephemeral"), mode="ephemeral")

    @property
    def gx_context(self) -> Any:
        """The underlying GX data context (escape hatch for GX-specific work)."""
        return self._context

    def ensure_suite(
        self,
        name: str,
        fingerprint: Hashable,
        build: Callable[[], gx.ExpectationSuite],
        *,
        query: str | None = None,
    ) -> None:
        """Save the suite ``name`` and its validation definition unless this exact version is already saved.

        ``fingerprint`` identifies the suite's content (e.g. the frozen contract it is built from); ``build`` is only
        called when the suite is new or changed, because saving a GX suite is slow (about 50 ms per expectation).
        With ``query`` the suite is validated by GX's SQL engine on the result of that DuckDB query (run inside
        :func:`~rwe_cohorts.quality.gx_duckdb_patch.bound_connection`); without, on a pandas frame.
        """
        digest = hashlib.sha256(repr((fingerprint, query)).encode()).hexdigest()
        cached = self._suites.get(name)
        if cached is not None and cached[0] == digest:
            return
        if self.mode == "file" and self._saved_fingerprints().get(name) == digest:
            # saved by an earlier process from the same content: reuse it (saving costs ~50 ms per expectation)
            try:
                self._suites[name] = (digest, self._context.validation_definitions.get(name))
                return
            except Exception:
                pass
        suite = build()
        if suite.name != name:
            raise ValueError(f"suite built for {name!r} is named {suite.name!r}")
        batch_definition = self._batch_definition(name, query)
        saved = self._context.suites.add_or_update(suite)
        definition = self._context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=batch_definition, suite=saved)
        )
        self._suites[name] = (digest, definition)
        if self.mode == "file":
            self._save_fingerprint(name, digest)

    def _batch_definition(self, name: str, query: str | None) -> Any:
        if query is None:
            source = self._datasource
            names = {a.name for a in source.assets}
            asset = source.get_asset(name) if name in names else source.add_dataframe_asset(name=name)
            batches = {b.name for b in asset.batch_definitions}
            if BATCH_DEFINITION in batches:
                return asset.get_batch_definition(BATCH_DEFINITION)
            return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
        source = self.sql_datasource()
        if name in {a.name for a in source.assets}:
            source.delete_asset(name)
        asset = source.add_query_asset(name=name, query=query)
        return asset.add_batch_definition_whole_table(SQL_BATCH_DEFINITION)

    def _fingerprints_path(self) -> Path:
        assert self.root is not None
        return self.root / "gx" / "uncommitted" / "rwe_suite_fingerprints.json"

    def _saved_fingerprints(self) -> dict[str, str]:
        path = self._fingerprints_path()
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def _save_fingerprint(self, name: str, digest: str) -> None:
        path = self._fingerprints_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = {**self._saved_fingerprints(), name: digest}
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(saved, sort_keys=True, indent=1))
        tmp.replace(path)

    def run(
        self,
        suite_name: str,
        frame: pd.DataFrame | None,
        *,
        run_id: str,
        max_examples: int = 5,
        key_columns: tuple[str, ...] = (),
    ) -> ExpectationSuiteValidationResult:
        """Validate with a suite saved by :meth:`ensure_suite`; the result is stored and queued for Data Docs.

        ``frame`` for a pandas suite; None for a SQL suite (its query runs on the bound DuckDB connection). GX returns
        up to ``max_examples`` unexpected values and row labels (pandas) or ``key_columns`` values (SQL) per
        expectation (see :func:`result_format`).
        """
        from great_expectations.core.run_identifier import RunIdentifier

        if suite_name not in self._suites:
            raise KeyError(f"suite {suite_name!r} is not registered: call ensure_suite first")
        definition = self._suites[suite_name][1]
        run = RunIdentifier(run_name=run_id, run_time=dt.datetime.now(dt.UTC))
        with warnings.catch_warnings():
            # pandas warns about capture groups in contract patterns; GX only needs a match, not the groups
            warnings.filterwarnings("ignore", message="This pattern is interpreted as a regular expression")
            result = definition.run(
                batch_parameters=None if frame is None else {"dataframe": frame},
                result_format=result_format(max_examples, key_columns if frame is None else ()),
                run_id=run,
            )
        self._pending.add((suite_name, run.to_tuple()))
        return result

    def build_data_docs(self) -> Path:
        """Render the static Data Docs site for the results of this context's runs and return its ``index.html``.

        Only the validation results produced since the last build are rendered (plus the suites and the index), so
        the cost does not grow with the history kept under ``uncommitted/validations``.
        """
        if self.mode != "file":
            raise DataDocsUnavailableError("Data Docs need a file context: use GXContext.file(root)")
        store = self._context.validation_results_store
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        keys: list[Any] = [
            k for k in store.list_keys() if (k.expectation_suite_identifier.name, k.run_id.to_tuple()) in self._pending
        ]
        keys.extend(ExpectationSuiteIdentifier(name=name) for name in sorted({name for name, _ in self._pending}))
        sites = self._context.build_data_docs(resource_identifiers=keys or None)
        self._pending.clear()
        url = sites.get("local_site") or next(iter(sites.values()))
        index = Path(unquote(urlparse(url).path))
        localize(index.parent)  # offline: the pages load the vendored scripts and styles, not public CDNs
        return index
