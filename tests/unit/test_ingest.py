"""Ingest rejects every malformed delivery before writing anything, naming the file (and column) at fault."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.core.warehouse import connect
from rwe_cohorts.ingest import delivery as ingest
from rwe_cohorts.ingest.synthetic import generate_delivery


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ingest") / "cut_2021-03-31"
    generate_delivery(folder, n_patients=2_000, seed=5)
    return folder


def _copy(clean: Path, tmp_path: Path) -> Path:
    folder = tmp_path / clean.name
    shutil.copytree(clean, folder)
    return folder


def _rewrite_manifest(folder: Path, table: str, **changes: object) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    for entry in manifest["tables"]:
        if entry["table"] == table:
            entry.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _reseal(folder: Path, table: str) -> None:
    """Make checksum and row count agree with the (altered) file, so only the fault under test remains."""
    path = folder / f"{table}.parquet"
    rows = pl.read_parquet(path).height
    _rewrite_manifest(folder, table, sha256=ingest.sha256_file(path), rows=rows)


def _missing(folder: Path) -> None:
    (folder / "ecog.parquet").unlink()


def _empty(folder: Path) -> None:
    (folder / "ecog.parquet").write_bytes(b"")


def _truncated(folder: Path) -> None:
    data = (folder / "ecog.parquet").read_bytes()
    (folder / "ecog.parquet").write_bytes(data[: len(data) // 2])


def _csv(folder: Path) -> None:
    pl.read_parquet(folder / "ecog.parquet").write_csv(folder / "ecog.parquet")
    _reseal_bytes(folder, "ecog")


def _reseal_bytes(folder: Path, table: str) -> None:
    _rewrite_manifest(folder, table, sha256=ingest.sha256_file(folder / f"{table}.parquet"))


def _missing_column(folder: Path) -> None:
    pl.read_parquet(folder / "ecog.parquet").drop("ecog_value").write_parquet(folder / "ecog.parquet")
    _reseal(folder, "ecog")


def _extra_column(folder: Path) -> None:
    frame = pl.read_parquet(folder / "ecog.parquet").with_columns(pl.lit("x").alias("free_text"))
    frame.write_parquet(folder / "ecog.parquet")
    _reseal(folder, "ecog")


def _wrong_type(folder: Path) -> None:
    frame = pl.read_parquet(folder / "ecog.parquet").with_columns(pl.col("ecog_value").cast(pl.String))
    frame.write_parquet(folder / "ecog.parquet")
    _reseal(folder, "ecog")


def _row_count(folder: Path) -> None:
    _rewrite_manifest(folder, "ecog", rows=1)


def _checksum(folder: Path) -> None:
    _rewrite_manifest(folder, "ecog", sha256="0" * 64)


def _escape(folder: Path) -> None:
    _rewrite_manifest(folder, "ecog", file="../ecog.parquet")


def _unknown_table(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["tables"].append({"table": "notes", "file": "notes.parquet", "rows": 0, "sha256": "0" * 64})
    (folder / "manifest.json").write_text(json.dumps(manifest))


CASES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "missing file": (_missing, ["ecog.parquet: file missing"]),
    "empty file": (_empty, ["ecog.parquet: file is empty"]),
    "truncated file": (_truncated, ["ecog.parquet", "not a readable Parquet file"]),
    "CSV instead of Parquet": (_csv, ["ecog.parquet", "not a readable Parquet file"]),
    "missing column": (_missing_column, ["ecog.parquet: column 'ecog_value' missing"]),
    "extra column": (_extra_column, ["ecog.parquet: column 'free_text' is not in the contract"]),
    "wrong type": (_wrong_type, ["ecog.parquet: column 'ecog_value' has type", "string, contract says INTEGER"]),
    "row count disagrees": (_row_count, ["ecog.parquet:", "manifest says 1"]),
    "checksum disagrees": (_checksum, ["ecog.parquet: checksum"]),
    "path escapes the delivery": (_escape, ["../ecog.parquet: path escapes the delivery folder"]),
    "table without a contract": (_unknown_table, ["notes.parquet: table 'notes' has no data contract"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_delivery_is_rejected_naming_file_and_column(
    case: str, clean: Path, tmp_path: Path, raw_contracts: dict[str, Contract]
) -> None:
    folder = _copy(clean, tmp_path)
    damage, fragments = CASES[case]
    damage(folder)
    con = connect(tmp_path / "warehouse.duckdb")
    con.execute("create table raw.demographics as select 'F000000000001' as patient_id")  # an earlier load
    with pytest.raises(ingest.DeliveryError) as err:
        ingest.load_delivery(con, ingest.read_delivery(folder), raw_contracts)
    for fragment in fragments:
        assert fragment in str(err.value), str(err.value)
    # Nothing was written: the earlier raw table is intact and no load log exists.
    assert con.execute("select count(*) from raw.demographics").fetchone() == (1,)
    assert "load_log" not in {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    con.close()


def test_clean_delivery_loads_with_load_metadata(
    clean: Path, tmp_path: Path, raw_contracts: dict[str, Contract]
) -> None:
    con: duckdb.DuckDBPyConnection = connect(tmp_path / "warehouse.duckdb")
    delivery = ingest.read_delivery(clean)
    counts = ingest.load_delivery(con, delivery, raw_contracts)
    assert counts["demographics"] == 2_000
    log = con.execute("select data_cut_id, count(*), bool_and(length(file_sha256) = 64) from raw.load_log group by 1")
    assert log.fetchall() == [(delivery.data_cut_id, 11, True)]
    con.close()


def test_malformed_manifest_is_reported(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(ingest.DeliveryError, match=r"manifest\.json: malformed"):
        ingest.read_delivery(tmp_path)
