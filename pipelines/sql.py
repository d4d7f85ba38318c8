"""``rwe sql``: run SQL read-only against the analysts' database (or another DuckDB file), with the DuckDB engine
the pipeline itself uses, so the files it wrote always open (a separately installed DuckDB CLI of an older release
cannot read them: DuckDB refuses newer storage versions).

    rwe sql -c "select * from latest.hazard_ratios"      # one statement
    rwe sql docs/queries/median_os_by_arm.sql             # ready queries (files), each printed in turn
    rwe sql < docs/queries/attrition.sql                  # SQL on standard input
    rwe sql                                               # interactive: statements end with ';', .quit leaves

The database is opened read-only: analysts can query it at any time, during a run too (a run replaces the file
atomically; a session keeps the state it opened until it reconnects).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb


def _show(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    relation = con.sql(sql)
    if relation is not None:
        relation.show(max_width=200, max_rows=200)


def _interactive(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    print(f"{database} (read-only); end statements with ';', .quit to leave", file=sys.stderr)
    buffer: list[str] = []
    while True:
        try:
            line = input("rwe sql> " if not buffer else "     ...> ")
        except EOFError:
            return
        if not buffer and line.strip() in (".quit", ".exit", "\\q"):
            return
        buffer.append(line)
        if line.rstrip().endswith(";"):
            try:
                _show(con, "\n".join(buffer))
            except duckdb.Error as exc:
                print(f"error: {exc}", file=sys.stderr)
            buffer = []


def run_sql(database: Path, *, command: str | None, files: Iterable[Path]) -> int:
    """Run ``command``, else each of ``files``, else standard input (or an interactive session on a terminal)."""
    if not database.is_file():
        print(f"rwe sql: no database at {database} (run the study first: make run)", file=sys.stderr)
        return 2
    con = duckdb.connect(str(database), read_only=True)
    try:
        scripts = [command] if command else [Path(f).read_text() for f in files]
        if not scripts and not sys.stdin.isatty():
            scripts = [sys.stdin.read()]
        if not scripts:
            _interactive(con, database)
            return 0
        for script in scripts:
            _show(con, script)
    except (duckdb.Error, OSError) as exc:
        print(f"rwe sql: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0
