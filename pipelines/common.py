"""Small helpers shared by the asset modules: metadata from a table, asset keys from relation names."""

from __future__ import annotations

import re

import dagster as dg

from rwe_cohorts.warehouse import TableInfo

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
