"""Names of the genomics plausibility checks (GX-free, so the Dagster code location and the report can name them
without importing Great Expectations): the relation they judge, the one Dagster check they report through, and one
rule per query in ``sql/``."""

from __future__ import annotations

from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"
RELATION = "raw.genomic_alterations"
GENOMICS_CHECK = "genomic_plausibility"  # the one Dagster check these rules report through
GENOMICS_RULES = tuple(sorted(p.stem for p in SQL_DIR.glob("*.sql")))  # one rule per query, named after it
