"""Generate ``docs/analysts.md`` from the data contracts of every published table and the ready queries.

Published tables: every contract under ``data_contracts/marts`` and ``data_contracts/qa`` except the restricted
(patient-level) marts, which are never published (``rwe_cohorts.publish.database.RESTRICTED``). Contracts are read with
``rwe_cohorts.core.contracts.load_contracts`` and the minimum cell size from the shipped specs with ``load_spec``, so
the doc shows what publishing does (small-cell attributes ``small_cell``, ``derived_from`` and ``complementary``). The
ready queries are ``docs/queries/*.sql``; each one's first comment line is its title.

    .tools/bin/uv run --frozen python tests/docs/generate_analyst_docs.py          # rewrite docs/analysts.md
    .tools/bin/uv run --frozen python tests/docs/generate_analyst_docs.py --check  # exit 1 when out of date

``tests/docs/test_analyst_docs.py`` fails when the committed file differs from what this script generates.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rwe_cohorts.core.contracts import Column, Contract, load_contracts
from rwe_cohorts.core.spec import load_spec
from rwe_cohorts.core.suppression import DISPLAY_SUFFIX
from rwe_cohorts.publish.database import PUBLISHED_SCHEMAS, RESTRICTED

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "data_contracts"
QUERIES = ROOT / "docs" / "queries"
SPECS = ROOT / "pipelines" / "studies"
OUTPUT = ROOT / "docs" / "analysts.md"
DEFAULT_MIN_CELL = 11
UPDATE_COMMAND = "RWE_UPDATE_DOCS=1 .tools/bin/uv run --frozen pytest tests/docs/test_analyst_docs.py"
GENERATE_COMMAND = ".tools/bin/uv run --frozen python tests/docs/generate_analyst_docs.py"


@dataclass(frozen=True)
class PublishedColumn:
    name: str
    type: str
    unit: str
    description: str
    suppression: str


@dataclass(frozen=True)
class ReadyQuery:
    path: Path
    title: str

    @property
    def link(self) -> str:
        return f"queries/{self.path.name}"


def _published_schema_contracts(root: Path = CONTRACTS) -> dict[str, Contract]:
    """Every contract of the published schemas, by relation, schema by schema in ``PUBLISHED_SCHEMAS`` order."""
    contracts = load_contracts(root)
    return {
        relation: contracts[relation]
        for schema in PUBLISHED_SCHEMAS
        for relation in sorted(r for r in contracts if r.split(".", 1)[0] == schema)
    }


def published_contracts(root: Path = CONTRACTS) -> dict[str, Contract]:
    return {r: c for r, c in _published_schema_contracts(root).items() if r not in RESTRICTED}


def restricted_relations(root: Path = CONTRACTS) -> list[str]:
    return [r for r in _published_schema_contracts(root) if r in RESTRICTED]


def min_cell_counts(specs: Path = SPECS) -> dict[str, int]:
    """``privacy.min_cell_count`` of every shipped study spec, by spec file name."""
    return {path.name: load_spec(path).privacy.min_cell_count for path in sorted(specs.glob("*.yaml"))}


def _suppression(column: Column, min_cell: int) -> str:
    if column.small_cell == "count":
        return f"count: NULL when 1 to {min_cell - 1}; read `{column.name}{DISPLAY_SUFFIX}`"
    if column.small_cell == "derived":
        sources = ", ".join(f"`{s}`" for s in column.derived_from) or "its counts"
        return f"derived: NULL when {sources} is suppressed in the row"
    if column.small_cell == "withheld":
        return "withheld: always NULL"
    return ""


def published_columns(contract: Contract, min_cell: int = DEFAULT_MIN_CELL) -> list[PublishedColumn]:
    """The columns of the published table, in order: ``data_cut_id`` first when the contract lacks it (publishing
    adds it), each contract column, and ``<count>_display`` right after each small-cell count."""
    out: list[PublishedColumn] = []
    if "data_cut_id" not in contract.column_names:
        out.append(
            PublishedColumn("data_cut_id", "VARCHAR", "", "Data cut the row belongs to (added when published)", "")
        )
    for column in contract.columns:
        description = column.description
        if column.accepted_values:
            description += " (one of " + ", ".join(f"`{v}`" for v in column.accepted_values) + ")"
        out.append(
            PublishedColumn(
                name=column.name,
                type=column.type,
                unit=column.unit or "",
                description=description,
                suppression=_suppression(column, min_cell),
            )
        )
        if column.small_cell == "count":
            out.append(
                PublishedColumn(
                    name=column.name + DISPLAY_SUFFIX,
                    type="VARCHAR",
                    unit="",
                    description=f"`{column.name}` as shown to readers: the value, or `<{min_cell}` when suppressed",
                    suppression="display column",
                )
            )
    return out


def ready_queries(folder: Path = QUERIES) -> list[ReadyQuery]:
    """The ready queries, by file name; the title is the first ``--`` comment line."""
    out = []
    for path in sorted(folder.glob("*.sql")):
        title = next(
            (line[2:].strip() for line in path.read_text().splitlines() if line.startswith("--")),
            path.stem.replace("_", " "),
        )
        out.append(ReadyQuery(path, title))
    return out


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _code_list(values: Sequence[object]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _complementary(rule: Mapping[str, Any]) -> str:
    by = _code_list(rule.get("by") or ()) or "the whole table"
    kind = rule.get("kind")
    if kind == "chain":
        total, part, order = rule.get("total"), rule.get("part"), rule.get("order")
        return (
            f"chain within each {by} in `{order}` order: `{total}`(previous) = `{total}` + `{part}`; "
            "when exactly one cell of such an equation is suppressed, another is suppressed too"
        )
    if kind == "sum":
        return (
            f"the `{rule.get('part')}` of the rows of each {by} group sum to a published total; "
            "when exactly one of them is suppressed, another is suppressed too"
        )
    return ", ".join(f"{k}: {v}" for k, v in rule.items())


def table_section(relation: str, contract: Contract, min_cell: int) -> list[str]:
    schema, table = relation.split(".", 1)
    pk = list(contract.primary_key)
    key = pk if "data_cut_id" in pk else ["data_cut_id", *pk]
    contract_path = f"data_contracts/{schema}/{table}.yaml"
    lines = [
        f"### {relation}",
        "",
        _cell(contract.description),
        "",
        f"- Grain: {_cell(contract.grain)}.",
        f"- Primary key: {_code_list(key)}"
        + (" (the contract's key plus `data_cut_id`)." if key != pk else " (as in the contract)."),
        f"- Newest cut only: `latest.{table}`. Contract: [`{contract_path}`](../{contract_path}).",
    ]
    counts = [c.name for c in contract.columns if c.small_cell == "count"]
    if counts:
        lines.append(
            f"- Small-cell suppression: {_code_list(counts)} "
            f"(read the `{DISPLAY_SUFFIX}` column{'s' if len(counts) > 1 else ''})."
        )
    for rule in contract.complementary:
        lines.append(f"- Complementary suppression: {_complementary(rule)}.")
    lines += [
        "",
        "| column | type | unit | description | suppression |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{c.name}` | {c.type} | {_cell(c.unit)} | {_cell(c.description)} | {_cell(c.suppression)} |"
        for c in published_columns(contract, min_cell)
    ]
    return [*lines, ""]


def _min_cell_sentence(counts: Mapping[str, int]) -> tuple[int, str]:
    values = sorted(set(counts.values())) or [DEFAULT_MIN_CELL]
    if len(values) == 1:
        return values[0], f"`privacy.min_cell_count` of the study spec ({values[0]} in every shipped spec)"
    per_spec = ", ".join(f"{name}: {n}" for name, n in counts.items())
    return min(values), f"`privacy.min_cell_count` of the study spec ({per_spec})"


def generate() -> str:
    published = published_contracts()
    restricted = restricted_relations()
    queries = ready_queries()
    min_cell, min_cell_text = _min_cell_sentence(min_cell_counts())
    marts = [r for r in published if r.startswith("marts.")]
    qa = [r for r in published if r.startswith("qa.")]
    out = [
        "# Analysts' guide: the published database",
        "",
        f"<!-- Generated by tests/docs/generate_analyst_docs.py from data_contracts/ and docs/queries/: do not edit "
        f"by hand. Regenerate with `{GENERATE_COMMAND}` (or `{UPDATE_COMMAND}`). -->",
        "",
        "Every published data cut of the study is in one DuckDB file, `data/analytics.duckdb`: aggregate marts "
        "(schema `marts`), the data-quality results (schema `qa`) and the newest cut (schema `latest`). It is "
        "replaced atomically after each successful run, so it can be opened read-only at any time, during a run "
        "too; a connection keeps the state it opened until it reconnects. How QA reviews a cut before release: "
        "[qa.md](qa.md).",
        "",
        "## Open it read-only",
        "",
        "Python (the project environment has `duckdb`):",
        "",
        "```python",
        "import duckdb",
        "",
        'con = duckdb.connect("data/analytics.duckdb", read_only=True)',
        "con.sql(\"select * from latest.survival_summary where analysis = 'primary'\").show()",
        'con.sql(open("docs/queries/hazard_ratios.sql").read()).df()  # a ready query as a pandas frame',
        "```",
        "",
        "From the shell, with the DuckDB engine the pipeline writes with (a separately installed DuckDB CLI of an "
        "older release cannot open these files: DuckDB refuses newer storage versions):",
        "",
        "```bash",
        "uv run rwe sql                                       # interactive (read-only; statements end with ';')",
        "uv run rwe sql docs/queries/median_os_by_arm.sql     # a ready query",
        "uv run rwe sql -c 'select * from latest.hazard_ratios'   # one statement",
        "```",
        "",
        "Table and column descriptions are also in the database (`select * from duckdb_columns() where "
        "schema_name = 'marts'`), written from the same contracts.",
        "",
        "## Data cuts and the `latest` schema",
        "",
        "- Every table has a `data_cut_id` column and keeps every published data cut side by side; re-running a "
        "cut replaces only that cut's rows.",
        "- `latest.<table>` is a view of `<schema>.<table>` restricted to the most recent published cut: the "
        "`data_cut_id` of the succeeded, published run in `marts.study_runs` with the latest `data_cut_date`. Use "
        "`latest` for questions about the newest cut and `marts` / `qa` with `data_cut_id` to compare cuts.",
        "- Which cuts are published: `select data_cut_id, max(data_cut_date) from marts.study_runs "
        "where is_published group by 1 order by 2`.",
        "",
        "## Small-cell suppression",
        "",
        f"Counts of patients or events from 1 to min_cell - 1 are not published; min_cell is {min_cell_text}. "
        "Each contract column says how it is treated (the `suppression` column of the tables below):",
        "",
        f"- **count**: a suppressed value is NULL, and the VARCHAR column `<column>{DISPLAY_SUFFIX}` right after "
        f'it shows the value or `"<{min_cell}"`. 0 is shown. Report the `{DISPLAY_SUFFIX}` column; do not read a '
        "NULL count as zero or missing data.",
        "- **derived**: a share or percentage computed from counts (listed in the column); NULL in a row where any "
        "of those counts is suppressed.",
        "- **withheld**: identifiers (such as example patient keys); always NULL in this database.",
        "- **Complementary suppression**: where a hidden count could be recovered from totals or differences, a "
        "second cell is suppressed too (the smallest other non-zero cell of the equation). It applies where a "
        "contract names it: the attrition chain within an arm (remaining at step k-1 = remaining at step k + "
        "removed at step k) and Table 1 (the levels of a categorical covariate sum to the arm size). A complementary "
        f'cell also shows `"<{min_cell}"`.',
        "",
        "Patient-level marts are never published; they live only in the per-cut warehouse "
        "`data/warehouse/<cut>.duckdb` (restricted): " + _code_list(restricted) + ".",
        "",
        "## Ready queries",
        "",
        "Each file is one SELECT with a header comment, and runs as written against `data/analytics.duckdb` "
        "(tested by `tests/docs/test_ready_queries.py` against a published database built by the pipeline).",
        "",
        "| query | what it answers |",
        "|---|---|",
        *(f"| [`{q.path.name}`]({q.link}) | {_cell(q.title)} |" for q in queries),
        "",
        "## Tables",
        "",
        "Study results (`marts`): " + ", ".join(f"[`{r}`](#{r.replace('.', '')})" for r in marts) + ".",
        "",
        "Data quality (`qa`): " + ", ".join(f"[`{r}`](#{r.replace('.', '')})" for r in qa) + ".",
        "",
        "Units are given where the contract states one (months are days / 30.4375).",
        "",
    ]
    for relation, contract in published.items():
        out += table_section(relation, contract, min_cell)
    return "\n".join(out).rstrip() + "\n"


def main(argv: Sequence[str]) -> int:
    text = generate()
    if "--check" in argv:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date; regenerate with: {GENERATE_COMMAND}")
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
