"""Ingest faults of the bad-delivery corpus: the delivery itself is broken (a file missing, empty, truncated or not
Parquet; a column missing, extra or of the wrong type; the manifest's checksums, row counts or table list disagreeing
with the files; the manifest unreadable; a data cut id repeated), so the ingest step rejects it before anything lands.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from corpus_base import (
    CLEAN_FOLDER,
    MANIFEST,
    Fault,
    Fragment,
    Name,
    Stage,
    read,
    read_manifest_json,
    update_entry,
    write,
    write_manifest_json,
)

from rwe_cohorts.ingest.delivery import sha256_file

# --------------------------------------------------------------------------------------------------------------------
# Hand edits: each damages a copy of the clean delivery and returns the fragments it alone can know
# --------------------------------------------------------------------------------------------------------------------


def missing_file(folder: Path) -> list[Fragment]:
    (folder / "visits.parquet").unlink()
    return []


def empty_file(folder: Path) -> list[Fragment]:
    (folder / "practice.parquet").write_bytes(b"")
    update_entry(folder, "practice", sha256=sha256_file(folder / "practice.parquet"))
    return []


def truncated_parquet(folder: Path) -> list[Fragment]:
    data = (folder / "genomic_reports.parquet").read_bytes()
    (folder / "genomic_reports.parquet").write_bytes(data[: len(data) // 2])
    update_entry(folder, "genomic_reports", sha256=sha256_file(folder / "genomic_reports.parquet"))
    return []


def corrupt_parquet_pages(folder: Path) -> list[Fragment]:
    """Bytes inside the first column's compressed data page overwritten; header and footer intact, so the schema and
    row count still read. The manifest is re-sealed: the sender shipped the corrupt file as it is."""
    path = folder / "genomic_alterations.parquet"
    meta = pq.read_metadata(path)
    chunk = meta.row_group(0).column(0)
    start = chunk.data_page_offset + chunk.total_compressed_size // 2
    data = bytearray(path.read_bytes())
    data[start : start + 256] = b"\xff" * 256
    path.write_bytes(bytes(data))
    update_entry(folder, "genomic_alterations", sha256=sha256_file(path))
    return []


def csv_as_parquet(folder: Path) -> list[Fragment]:
    """mortality.parquet holds CSV text (an export mix-up); checksum and row count as the manifest says."""
    data = read(folder, "mortality")
    lines = ["patient_id,death_month"] + [
        f"{p},{m}"
        for p, m in zip(data.column("patient_id").to_pylist(), data.column("death_month").to_pylist(), strict=True)
    ]
    (folder / "mortality.parquet").write_text("\n".join(lines) + "\n")
    update_entry(folder, "mortality", sha256=sha256_file(folder / "mortality.parquet"))
    return []


def missing_column(folder: Path) -> list[Fragment]:
    write(folder, "lines_of_therapy", read(folder, "lines_of_therapy").drop_columns(["line_name"]))
    return []


def extra_column(folder: Path) -> list[Fragment]:
    data = read(folder, "cancer_diagnosis")
    notes = pa.array(["free-text pathology note"] * data.num_rows)
    write(folder, "cancer_diagnosis", data.append_column("pathology_notes", notes))
    return []


def wrong_type_date_as_text(folder: Path) -> list[Fragment]:
    data = read(folder, "visits")
    index = data.schema.get_field_index("visit_date")
    write(folder, "visits", data.set_column(index, "visit_date", pc.cast(data.column("visit_date"), pa.string())))
    return []


def checksum_mismatch(folder: Path) -> list[Fragment]:
    update_entry(folder, "panel_genes", sha256="0" * 64)
    return []


def row_count_mismatch(folder: Path) -> list[Fragment]:
    rows = pq.read_metadata(folder / "diagnosis_codes.parquet").num_rows
    update_entry(folder, "diagnosis_codes", rows=rows + 5)
    return [f"diagnosis_codes.parquet: {rows} rows, manifest says {rows + 5}"]


def table_missing_from_manifest(folder: Path) -> list[Fragment]:
    manifest = read_manifest_json(folder)
    manifest["tables"] = [e for e in manifest["tables"] if e["table"] != "ecog"]
    write_manifest_json(folder, manifest)
    return []


def unexpected_table(folder: Path) -> list[Fragment]:
    notes = pa.table({"patient_id": ["F000000000001"], "note": ["free text"]})
    pq.write_table(notes, folder / "clinical_notes.parquet")
    manifest = read_manifest_json(folder)
    manifest["tables"].append(
        {"table": "clinical_notes", "file": "clinical_notes.parquet", "rows": 1,
         "sha256": sha256_file(folder / "clinical_notes.parquet")}
    )  # fmt: skip
    write_manifest_json(folder, manifest)
    return []


def empty_table(folder: Path) -> list[Fragment]:
    data = read(folder, "genomic_alterations")
    write(folder, "genomic_alterations", data.slice(0, 0))
    return []


def malformed_manifest(folder: Path) -> list[Fragment]:
    text = (folder / MANIFEST).read_text()
    (folder / MANIFEST).write_text(text[: len(text) // 2])  # cut off mid-way, as by an interrupted copy
    return []


# --------------------------------------------------------------------------------------------------------------------
# The ingest faults
# --------------------------------------------------------------------------------------------------------------------

INGEST: Stage = "raw_tables"
INGEST_FAULTS: tuple[Fault, ...] = (
    # ---- ingest: the delivery is rejected before anything lands ----------------------------------------------------
    Fault("missing_file", "visits", "visits.parquet listed in the manifest but absent", INGEST,
          ("visits.parquet: file missing", "1 problem(s)"), edit=missing_file),
    Fault("empty_file", "practice", "practice.parquet is 0 bytes", INGEST,
          ("practice.parquet: file is empty (0 bytes)", "1 problem(s)"), edit=empty_file),
    Fault("truncated_parquet", "genomic_reports", "genomic_reports.parquet cut off half-way (checksum re-sealed)",
          INGEST, ("genomic_reports.parquet: not a readable Parquet file", "1 problem(s)"), edit=truncated_parquet),
    Fault("corrupt_parquet_pages", "genomic_alterations", "genomic_alterations.parquet: bytes of the first column's "
          "data page overwritten, footer intact (checksum re-sealed)", INGEST,
          ("genomic_alterations.parquet", Name("alteration_id"), "rejected"), edit=corrupt_parquet_pages),
    Fault("csv_as_parquet", "mortality", "mortality.parquet holds CSV text (checksum re-sealed)", INGEST,
          ("mortality.parquet: not a readable Parquet file", "1 problem(s)"), edit=csv_as_parquet),
    Fault("missing_column", "lines_of_therapy", "lines_of_therapy.parquet without line_name", INGEST,
          ("lines_of_therapy.parquet: column 'line_name' missing", "1 problem(s)"), edit=missing_column),
    Fault("extra_column", "cancer_diagnosis", "cancer_diagnosis.parquet with an extra pathology_notes column", INGEST,
          ("cancer_diagnosis.parquet: column 'pathology_notes' is not in the contract (extra column)", "1 problem(s)"),
          edit=extra_column),
    Fault("wrong_type", "demographics", "demographics.birth_year written as text, some rows 'unknown'", INGEST,
          ("demographics.parquet: column 'birth_year' has type string, contract says INTEGER", "1 problem(s)"),
          defect=("wrong_type", 0.001)),
    Fault("wrong_type_date_as_text", "visits", "visits.visit_date as ISO text instead of a date", INGEST,
          ("visits.parquet: column 'visit_date' has type string, contract says DATE", "1 problem(s)"),
          edit=wrong_type_date_as_text),
    Fault("checksum_mismatch", "panel_genes", "the manifest's sha256 of panel_genes.parquet disagrees with the file",
          INGEST, ("panel_genes.parquet: checksum", "differs from manifest 000000000000", "1 problem(s)"),
          edit=checksum_mismatch),
    Fault("row_count_mismatch", "diagnosis_codes", "the manifest counts 5 more diagnosis_codes rows than the file",
          INGEST, ("1 problem(s)",), edit=row_count_mismatch),
    Fault("table_missing_from_manifest", "ecog", "ecog.parquet delivered but not listed in the manifest", INGEST,
          ("ecog: table missing from manifest.json", "1 problem(s)"), edit=table_missing_from_manifest),
    Fault("unexpected_table", "clinical_notes", "the manifest lists a clinical_notes table without a data contract",
          INGEST, ("clinical_notes.parquet: table 'clinical_notes' has no data contract", "1 problem(s)"),
          edit=unexpected_table),
    Fault("empty_table", "genomic_alterations", "genomic_alterations.parquet: valid Parquet with 0 rows (manifest "
          "agrees)", INGEST, ("genomic_alterations.parquet: table has no rows", "1 problem(s)"), edit=empty_table),
    Fault("malformed_manifest", "manifest", "manifest.json cut off mid-way after the cut was registered", INGEST,
          ("cut_fault-malformed-manifest", "manifest.json: malformed"), edit=malformed_manifest),
    Fault("repeated_cut_id", "manifest", "a second folder claims the clean delivery's data cut id", INGEST,
          (Name(CLEAN_FOLDER), Name(f"{CLEAN_FOLDER}_redelivered"), "delivered twice",
           "must not repeat an earlier one")),
)  # fmt: skip
