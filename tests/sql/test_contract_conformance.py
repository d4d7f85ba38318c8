"""The SQL models' output columns and types are exactly what their data contracts say."""

from __future__ import annotations

from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT


def test_sql_tables_match_their_contracts(cohort_db) -> None:  # type: ignore[no-untyped-def]
    contracts = load_contracts(CONTRACTS_ROOT)
    for schema in ("staging", "intermediate", "marts"):
        tables = cohort_db.con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
        for (table,) in tables:
            relation = f"{schema}.{table}"
            if relation == "marts.matched_cohort":
                continue  # stub made by the SQL test fixture; the real one is checked end to end
            cols = cohort_db.con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            expected = [(c.name, c.type) for c in contracts[relation].columns]
            assert cols == expected, relation
