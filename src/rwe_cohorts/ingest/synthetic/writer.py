"""Deterministic streaming Parquet output.

Rows are buffered and written in row groups of exactly ``ROW_GROUP_ROWS`` rows (the last one shorter), so the file
bytes depend only on the row stream, never on how the generator chunked its work. zstd compression, dictionary
encoding, statistics and no timestamps in the metadata: same rows => same bytes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 1 << 18
COMPRESSION = "zstd"
COMPRESSION_LEVEL = 3


class TableSink:
    """Buffered ParquetWriter for one table."""

    def __init__(self, path: Path, schema: pa.Schema, unique_columns: tuple[str, ...] = ()) -> None:
        self.path = path
        self.schema = schema
        self.rows = 0
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._writer = pq.ParquetWriter(
            path,
            schema,
            compression=COMPRESSION,
            compression_level=COMPRESSION_LEVEL,
            use_dictionary=[n for n in schema.names if n not in unique_columns],
            write_statistics=True,
            store_schema=True,
        )

    def write(self, table: pa.Table) -> None:
        """Append rows (columns in schema order, types cast to the schema)."""
        table = table.select(self.schema.names).cast(self.schema)
        self._buffer.append(table)
        self._buffered += table.num_rows
        self.rows += table.num_rows
        while self._buffered >= ROW_GROUP_ROWS:
            self._flush(ROW_GROUP_ROWS)

    def _flush(self, n: int) -> None:
        merged = pa.concat_tables(self._buffer)
        self._writer.write_table(merged.slice(0, n).combine_chunks(), row_group_size=n)
        rest = merged.slice(n)
        self._buffer = [rest] if rest.num_rows else []
        self._buffered = rest.num_rows

    def close(self) -> None:
        if self._buffered:
            self._flush(self._buffered)
        self._writer.close()


def write_whole(path: Path, table: pa.Table, schema: pa.Schema) -> int:
    """Write a small table in one go (same writer settings); returns its row count."""
    sink = TableSink(path, schema)
    sink.write(table)
    sink.close()
    return sink.rows


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
