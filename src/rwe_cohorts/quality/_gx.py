"""The one place that imports Great Expectations, with usage analytics switched off first.

GX reads ``GX_ANALYTICS_ENABLED`` when it is imported, so every module of this package imports GX from here.
"""

from __future__ import annotations

import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.expectations.expectation import (
    ColumnMapExpectation,
    Expectation,
    MulticolumnMapExpectation,
)


def disable_batch_fingerprint() -> None:
    """Stop GX from fingerprinting every in-memory pandas batch.

    GX's pandas engine md5-hashes all values of each batch below ``HASH_THRESHOLD`` bytes
    (``pd.util.hash_pandas_object``) only to record a ``pandas_data_fingerprint`` batch marker: about 2 s per million
    rows, a third of the validation time of ``raw.visits``. Our batches are identified by relation and run id
    instead, so the threshold is set to 0.
    """
    from great_expectations.execution_engine import pandas_execution_engine

    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0


__all__ = [
    "ColumnMapExpectation",
    "Expectation",
    "ExpectationSuiteValidationResult",
    "ExpectationValidationResult",
    "MulticolumnMapExpectation",
    "disable_batch_fingerprint",
    "gx",
    "gxe",
]
