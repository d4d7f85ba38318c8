"""docs/analysts.md is generated from the data contracts and the ready queries; it must not drift from them.

Regenerate after changing a contract or a query:

    RWE_UPDATE_DOCS=1 .tools/bin/uv run --frozen pytest tests/docs/test_analyst_docs.py
"""

from __future__ import annotations

import os

from tests.docs.generate_analyst_docs import (
    OUTPUT,
    ROOT,
    UPDATE_COMMAND,
    generate,
    published_columns,
    published_contracts,
    ready_queries,
    restricted_relations,
)


def test_analyst_docs_up_to_date() -> None:
    expected = generate()
    if os.environ.get("RWE_UPDATE_DOCS") == "1":
        OUTPUT.write_text(expected)
    current = OUTPUT.read_text() if OUTPUT.exists() else ""
    assert current == expected, (
        f"{OUTPUT.relative_to(ROOT)} is out of date with data_contracts/ or docs/queries/; regenerate it with\n"
        f"    {UPDATE_COMMAND}"
    )


def test_every_published_table_documented() -> None:
    text = OUTPUT.read_text()
    published = published_contracts()
    assert published, "no published contracts found"
    assert "marts.study_runs" in published
    assert {r.split(".")[0] for r in published} == {"marts", "qa"}
    for relation, raw in published.items():
        assert f"### {relation}\n" in text, f"{relation} has no section in {OUTPUT.name}"
        assert f"`latest.{relation.split('.', 1)[1]}`" in text
        for column in published_columns(raw):
            assert f"| `{column.name}` |" in text, f"{relation}.{column.name} is not documented"


def test_restricted_marts_not_documented_as_tables() -> None:
    text = OUTPUT.read_text()
    restricted = restricted_relations()
    assert {"marts.analytic_cohort", "marts.propensity_scores", "marts.matched_cohort"} <= set(restricted)
    for relation in restricted:
        assert f"### {relation}\n" not in text


def test_every_ready_query_linked() -> None:
    text = OUTPUT.read_text()
    queries = ready_queries()
    assert queries, "no docs/queries/*.sql"
    for query in queries:
        assert f"]({query.link})" in text
