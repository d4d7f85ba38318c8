"""Example ids for error messages (a few keys, never whole rows)."""

from __future__ import annotations

import polars as pl


def examples(values: pl.Series, limit: int = 5) -> str:
    return ", ".join(repr(v) for v in values.head(limit).to_list())
