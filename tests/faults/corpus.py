"""A corpus of bad deliveries and bad study specs: each fault, how it is made, where the run must stop and what the
error must say.

Every fault is one entry of :data:`FAULTS`. It is made in one of three ways:

* a **hand edit** of a copy of a small clean delivery (``edit``: a function of the copied folder that damages it and
  returns the fragments it can only know once it has picked the rows it breaks: counts and example keys);
* a **generator defect profile** (``defect``):
  ``rwe_cohorts.ingest.synthetic.generate_delivery(..., defects={name: rate})`` with the clean delivery's size, seed
  and data cut date, so only the planted rows differ; the count and example keys come from the manifest's
  ``defects_injected`` record;
* a **bad study spec** (``spec_edit``): a function that breaks the test's study spec (a dict), written to its own
  YAML file; the delivery is a faithful copy of the clean one.

Each fault has its own data cut id (``fault-<name>``, folder ``cut_fault-<name>``): the manifest's ``data_cut_id``
is rewritten and every file the edit touches is re-sealed (its ``sha256`` and ``rows`` in the manifest made to agree
with the damaged file) unless the disagreement is the fault, so exactly one fault remains. The exception is
``repeated_cut_id``: a second folder claiming the clean delivery's own cut id.

Where the run must stop (``stage``):

===================  ==============================================================================================
``run_start``        the study resource's set-up (it loads the spec when the run starts): no step runs at all
``raw_tables``       the ingest step (manifest, checksums, row counts, columns and types): nothing materializes
``raw_quality``      the raw layer's blocking checks: only ``raw/*`` materializes
``staging_quality``  the staging layer's blocking checks: only ``raw/*`` and ``staging/*`` materialize
===================  ==============================================================================================

``fragments`` must all appear in the error: the step's failure message (ingest), the failed checks' ``summary``
metadata (quality) or the run failure (run start). A fragment given as a tuple is satisfied by any one of its
members (used for example keys: the check names up to three of the failing keys). ``failing`` lists the blocking
checks (``asset:check_name``) that must fail with ERROR severity, and no other.

``message_gap`` / ``stop_gap`` / ``lock_gap`` name a known product gap (the error lacks a fragment / the run does not
stop where it must / the run lock is still held when the failed run returns): the test that shows it is marked
``xfail(strict=True)`` with that reason, so the suite stays green until the product is fixed and then insists on
removing the mark.

``slow`` faults make the extended corpus (``pytest -m slow tests/faults``): each costs a Great Expectations run
(about 10 s), so the default run keeps one or two per kind of fault.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from rwe_cohorts.ingest.delivery import sha256_file
from rwe_cohorts.ingest.synthetic import generate_delivery, read_manifest

Stage = Literal["run_start", "raw_tables", "raw_quality", "staging_quality"]
Fragment = str | tuple[str, ...]
"""A text the error must contain (a :class:`Name` must stand on its own); a tuple is satisfied by any one member."""

MANIFEST = "manifest.json"

# The clean delivery every fault starts from: small (Great Expectations' cost per check dominates at this size), fixed
# seed, default data cut date. Its raw and staging layers pass every error-severity check.
N_PATIENTS = 2_000
SEED = 11
CLEAN_FOLDER = "cut_2021-03-31"
CLEAN_CUT = "2021-03-31"
DATA_CUT_DATE = "2021-03-31"


# --------------------------------------------------------------------------------------------------------------------
# Helpers for hand edits
# --------------------------------------------------------------------------------------------------------------------


def read_manifest_json(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST).read_text())


def write_manifest_json(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))


def set_cut_id(folder: Path, cut: str) -> None:
    manifest = read_manifest_json(folder)
    manifest["data_cut_id"] = cut
    write_manifest_json(folder, manifest)


def update_entry(folder: Path, table: str, **changes: object) -> None:
    manifest = read_manifest_json(folder)
    (entry,) = [e for e in manifest["tables"] if e["table"] == table]
    entry.update(changes)
    write_manifest_json(folder, manifest)


def reseal(folder: Path, table: str, *, rows: bool = True) -> None:
    """Make the manifest's checksum (and row count) agree with the file as it now is."""
    path = folder / f"{table}.parquet"
    changes: dict[str, object] = {"sha256": sha256_file(path)}
    if rows:
        changes["rows"] = pq.read_metadata(path).num_rows
    update_entry(folder, table, **changes)


def read(folder: Path, table: str) -> pa.Table:
    return pq.read_table(folder / f"{table}.parquet")


def write(folder: Path, table: str, data: pa.Table) -> None:
    """Write the table back (same file name) and re-seal its manifest entry."""
    pq.write_table(data, folder / f"{table}.parquet")
    reseal(folder, table)


def replace_at(data: pa.Table, column: str, rows: Sequence[int], values: pa.Array) -> pa.Table:
    """``data`` with ``column`` replaced at ``rows`` by ``values`` (same order), keeping the column's type."""
    col = data.column(column).combine_chunks()
    out = col.to_pylist()
    for row, value in zip(rows, values.to_pylist(), strict=True):
        out[row] = value
    index = data.schema.get_field_index(column)
    return data.set_column(index, data.schema.field(index), pa.array(out, type=col.type))


def pick(data: pa.Table, order_by: Sequence[str], n: int, where: pa.Array | None = None) -> list[int]:
    """Row positions of the first ``n`` rows by ``order_by`` (optionally among rows where ``where`` is true):
    deterministic, so the expected example keys are known."""
    indexed = data.append_column("_row", pa.array(range(data.num_rows), type=pa.int64()))
    if where is not None:
        indexed = indexed.filter(where)
    ordered = indexed.sort_by([(c, "ascending") for c in order_by])
    return ordered.column("_row").to_pylist()[:n]


def keys(data: pa.Table, rows: Sequence[int], columns: Sequence[str]) -> list[str]:
    """The check's rendering of primary keys: values joined with ``|``, dates ISO, nulls ``NULL``."""
    picked = data.take(pa.array(rows, type=pa.int64()))
    cols = [picked.column(c).to_pylist() for c in columns]
    return ["|".join("NULL" if v is None else str(v) for v in parts) for parts in zip(*cols, strict=True)]


def rows_of(n: int, total: int) -> str:
    """The count as a check summary states it."""
    return f": {n} of {total} rows"


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


def null_keys(folder: Path) -> list[Fragment]:
    """Three ECOG assessments (distinct dates) lose their patient id."""
    data = read(folder, "ecog")
    rows = pick(data, ["ecog_date", "patient_id"], 3)
    before = keys(data, rows, ["ecog_date"])
    write(folder, "ecog", replace_at(data, "patient_id", rows, pa.nulls(3, pa.string())))
    return [rows_of(3, data.num_rows), tuple(f"NULL|{d}" for d in before)]


def orphan_alteration_report(folder: Path) -> list[Fragment]:
    """Three short-variant alterations point at a report that is not in genomic_reports."""
    data = read(folder, "genomic_alterations")
    rows = pick(data, ["alteration_id"], 3, pc.equal(data.column("alteration_type"), "short variant"))
    write(folder, "genomic_alterations", replace_at(data, "report_id", rows, pa.array(["ORD-999999999-01"] * 3)))
    return [rows_of(3, data.num_rows), tuple(keys(data, rows, ["alteration_id"]))]


def unknown_practice_type(folder: Path) -> list[Fragment]:
    """Four practice rows carry a practice type outside the contract's accepted values."""
    data = read(folder, "practice")
    rows = pick(data, ["patient_id", "practice_id"], 4)
    write(folder, "practice", replace_at(data, "practice_type", rows, pa.array(["HOSPITAL"] * 4)))
    return [rows_of(4, data.num_rows), tuple(keys(data, rows, ["patient_id", "practice_id"]))]


def ecog_out_of_range(folder: Path) -> list[Fragment]:
    """Two ECOG values of 7 (the scale is 0-4)."""
    data = read(folder, "ecog")
    rows = pick(data, ["patient_id", "ecog_date"], 2)
    write(folder, "ecog", replace_at(data, "ecog_value", rows, pa.array([7, 7], type=pa.int32())))
    return [rows_of(2, data.num_rows), tuple(keys(data, rows, ["patient_id", "ecog_date"]))]


def impossible_death_month(folder: Path) -> list[Fragment]:
    """Two deaths in month 13."""
    data = read(folder, "mortality")
    rows = pick(data, ["patient_id"], 2)
    years = [m[:4] for m in data.column("death_month").take(pa.array(rows)).to_pylist()]
    write(folder, "mortality", replace_at(data, "death_month", rows, pa.array([f"{y}-13" for y in years])))
    return [rows_of(2, data.num_rows), tuple(keys(data, rows, ["patient_id"]))]


def future_visit(folder: Path) -> list[Fragment]:
    """Three visits dated after the data cut."""
    data = read(folder, "visits")
    rows = pick(data, ["visit_id"], 3)
    future = pa.array([dt.date(2021, 5, 1), dt.date(2021, 6, 15), dt.date(2022, 1, 10)], pa.date32())
    write(folder, "visits", replace_at(data, "visit_date", rows, future))
    return [rows_of(3, data.num_rows), tuple(keys(data, rows, ["visit_id"]))]


def future_ecog(folder: Path) -> list[Fragment]:
    """Two ECOG assessments dated after the data cut (one a year after it)."""
    data = read(folder, "ecog")
    rows = pick(data, ["patient_id", "ecog_date"], 2)
    dates = pa.array([dt.date(2021, 6, 30), dt.date(2022, 3, 31)], pa.date32())
    damaged = replace_at(data, "ecog_date", rows, dates)
    write(folder, "ecog", damaged)
    return [rows_of(2, data.num_rows), tuple(keys(damaged, rows, ["patient_id", "ecog_date"]))]


def diagnosis_before_birth(folder: Path) -> list[Fragment]:
    """Two patients (never advanced) with an initial diagnosis 3 years before their birth year."""
    data = read(folder, "cancer_diagnosis")
    births = read(folder, "demographics")
    ids_years = zip(births.column("patient_id").to_pylist(), births.column("birth_year").to_pylist(), strict=True)
    birth_year = dict(ids_years)
    rows = pick(data, ["patient_id"], 2, pc.is_null(data.column("advanced_diagnosis_date")))
    ids = data.column("patient_id").take(pa.array(rows)).to_pylist()
    dates = pa.array([dt.date(birth_year[p] - 3, 6, 15) for p in ids], pa.date32())
    write(folder, "cancer_diagnosis", replace_at(data, "diagnosis_date", rows, dates))
    return [rows_of(2, data.num_rows), tuple(ids)]


def duplicate_code_after_normalisation(folder: Path) -> list[Fragment]:
    """Two ICD-9-CM rows repeated with a trailing blank in the code: distinct keys as delivered (and ICD-9 codes have
    no format rule), the same key once staging trims the code."""
    data = read(folder, "diagnosis_codes")
    rows = pick(data, ["patient_id", "diagnosis_date", "diagnosis_code"], 2,
                pc.equal(data.column("code_system"), "ICD-9-CM"))  # fmt: skip
    copies = data.take(pa.array(rows))
    padded = pc.binary_join_element_wise(copies.column("diagnosis_code"), pa.scalar(" "), "")
    copies = copies.set_column(copies.schema.get_field_index("diagnosis_code"), "diagnosis_code", padded)
    write(folder, "diagnosis_codes", pa.concat_tables([data, copies]))
    expected = keys(data, rows, ["patient_id", "diagnosis_date", "diagnosis_code"])
    return [rows_of(4, data.num_rows + 2), tuple(expected)]


# --------------------------------------------------------------------------------------------------------------------
# Study spec edits (on the test's spec, a dict)
# --------------------------------------------------------------------------------------------------------------------


def spec_unknown_field(spec: dict[str, Any]) -> None:
    spec["matching"]["caliper_width"] = 0.2  # the field is caliper_sd


def spec_wrong_type(spec: dict[str, Any]) -> None:
    spec["matching"]["ratio"] = "ten"


def spec_empty_drug_list(spec: dict[str, Any]) -> None:
    spec["eligibility"]["excluded_drugs"] = []


def spec_window_end_before_start(spec: dict[str, Any]) -> None:
    spec["eligibility"]["advanced_diagnosis_start_date"] = "2019-12-31"
    spec["eligibility"]["advanced_diagnosis_end_date"] = "2011-01-01"


# --------------------------------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------------------------------


class Name(str):
    """A name (a column, a folder) the error must state on its own: ``diagnosis_code`` is not found inside
    ``raw.diagnosis_codes`` nor ``cut_x`` inside ``cut_x_redelivered``, but a column is found inside a rule name
    such as ``not_null__diagnosis_code``."""

    __slots__ = ()


@dataclass(frozen=True)
class Fault:
    name: str
    table: str  # the table (or "study spec") the fault hits
    what: str
    stage: Stage
    fragments: tuple[Fragment, ...] = ()
    failing: tuple[str, ...] = ()
    edit: Callable[[Path], list[Fragment]] | None = None
    defect: tuple[str, float] | None = None
    spec_edit: Callable[[dict[str, Any]], None] | None = None
    message_gap: str | None = None
    stop_gap: str | None = None
    lock_gap: str | None = None
    slow: bool = False  # in the extended corpus only (``pytest -m slow``): Great Expectations costs ~10 s a fault

    @property
    def cut(self) -> str:
        return CLEAN_CUT if self.name == "repeated_cut_id" else "fault-" + self.name.replace("_", "-")

    @property
    def folder_name(self) -> str:
        return f"{CLEAN_FOLDER}_redelivered" if self.name == "repeated_cut_id" else f"cut_{self.cut}"

    @property
    def how(self) -> str:
        if self.defect:
            return f"generator defect profile {self.defect[0]}={self.defect[1]}"
        if self.spec_edit:
            return "bad study spec"
        return "hand edit of a copy of the clean delivery"


# Product gaps found by this corpus, all since fixed (column names in check summaries, unreadable manifests named,
# undecodable Parquet pages reported per column, date-after-cut rules for ECOG, diagnosis codes and lines, the run lock
# released when the set-up fails). A new gap is recorded as a string here and passed as message_gap / stop_gap /
# lock_gap, which marks the affected test xfail(strict=True) until it is fixed.
INGEST: Stage = "raw_tables"
FAULTS: tuple[Fault, ...] = (
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
    # ---- raw quality: the delivery lands in raw; the raw layer's blocking checks stop the run ------------------------
    Fault("duplicate_keys", "demographics", "demographics rows repeated for some patients", "raw_quality",
          ("raw.demographics", "primary_key_unique", Name("patient_id")),
          failing=("raw/demographics:contract_suite",), defect=("duplicate_keys", 0.001)),
    Fault("null_keys", "ecog", "ecog.patient_id null in three rows", "raw_quality",
          ("raw.ecog", "not_null__patient_id"), failing=("raw/ecog:contract_suite",), edit=null_keys),
    Fault("orphan_rows", "visits", "visits of patients absent from demographics", "raw_quality",
          ("raw.visits", "fk_patient_id__raw_demographics"), failing=("raw/visits:contract_suite",),
          defect=("orphan_rows", 0.00005)),
    Fault("report_after_cut", "genomic_reports", "NGS reports dated after the data cut", "raw_quality",
          ("raw.genomic_reports", "report_not_after_cut", Name("report_date")),
          failing=("raw/genomic_reports:contract_suite",), defect=("report_after_cut", 0.001), slow=True),
    Fault("death_before_birth", "mortality", "death months before the birth year", "raw_quality",
          ("raw.mortality", "death_not_before_birth", Name("death_month")),
          failing=("raw/mortality:contract_suite",), defect=("death_before_birth", 0.003)),
    Fault("unknown_icd10_code", "diagnosis_codes", "malformed ICD-10-CM code ZZZ.9", "raw_quality",
          ("raw.diagnosis_codes", "icd10_format", Name("diagnosis_code")),
          failing=("raw/diagnosis_codes:contract_suite",), defect=("unknown_code", 0.0005)),
    Fault("future_ecog", "ecog", "ECOG assessments dated after the data cut", "raw_quality",
          ("raw.ecog", Name("ecog_date")), failing=("raw/ecog:contract_suite",), edit=future_ecog),
    Fault("orphan_alteration_report", "genomic_alterations", "alterations pointing at a report that does not exist",
          "raw_quality", ("raw.genomic_alterations", "fk_report_id__raw_genomic_reports"),
          failing=("raw/genomic_alterations:contract_suite",), edit=orphan_alteration_report, slow=True),
    Fault("unknown_practice_type", "practice", "practice_type HOSPITAL (accepted: ACADEMIC, COMMUNITY)",
          "raw_quality", ("raw.practice", "accepted_values__practice_type"), failing=("raw/practice:contract_suite",),
          edit=unknown_practice_type, slow=True),
    Fault("ecog_out_of_range", "ecog", "ECOG value 7 (the scale is 0-4)", "raw_quality",
          ("raw.ecog", "range__ecog_value"), failing=("raw/ecog:contract_suite",), edit=ecog_out_of_range, slow=True),
    Fault("impossible_death_month", "mortality", "death month 13", "raw_quality",
          ("raw.mortality", "pattern__death_month"), failing=("raw/mortality:contract_suite",),
          edit=impossible_death_month, slow=True),
    Fault("future_visit", "visits", "visits dated after the data cut", "raw_quality",
          ("raw.visits", "visit_not_after_cut", Name("visit_date")), failing=("raw/visits:contract_suite",),
          edit=future_visit, slow=True),
    Fault("diagnosis_before_birth", "cancer_diagnosis", "initial diagnosis 3 years before the birth year",
          "raw_quality", ("raw.cancer_diagnosis", "diagnosis_after_birth", Name("diagnosis_date")),
          failing=("raw/cancer_diagnosis:contract_suite",), edit=diagnosis_before_birth,
          slow=True),
    # ---- staging quality: raw passes; the staging models' normalisation exposes the fault ---------------------------
    Fault("duplicate_code_after_normalisation", "diagnosis_codes", "ICD-9-CM codes repeated with a trailing blank: "
          "unique as delivered, duplicate keys once staging trims them", "staging_quality",
          ("staging.diagnosis_codes", "primary_key_unique", Name("diagnosis_code")),
          failing=("staging/diagnosis_codes:contract_suite",), edit=duplicate_code_after_normalisation),
    # ---- the study spec: refused when the run starts (the study resource loads it) ----------------------------------
    Fault("spec_unknown_field", "study spec", "matching.caliper_width (a typo of caliper_sd)", "run_start",
          ("matching.caliper_width", "Extra inputs are not permitted"), spec_edit=spec_unknown_field),
    Fault("spec_wrong_type", "study spec", "matching.ratio: 'ten'", "run_start",
          ("matching.ratio", "valid integer"), spec_edit=spec_wrong_type),
    Fault("spec_empty_drug_list", "study spec", "eligibility.excluded_drugs: []", "run_start",
          ("eligibility.excluded_drugs", "at least 1 item"), spec_edit=spec_empty_drug_list),
    Fault("spec_window_end_before_start", "study spec", "the advanced-diagnosis window ends before it starts",
          "run_start", ("eligibility", "advanced_diagnosis_end_date 2011-01-01 is before advanced_diagnosis_start_date "
          "2019-12-31"), spec_edit=spec_window_end_before_start),
)  # fmt: skip

BY_NAME = {f.name: f for f in FAULTS}
assert len(BY_NAME) == len(FAULTS), "fault names are unique"


# --------------------------------------------------------------------------------------------------------------------
# Building the corpus
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """One fault made on disk: its data cut, delivery folder, spec file (spec faults) and every fragment."""

    fault: Fault
    folder: Path
    spec_path: Path | None
    fragments: tuple[Fragment, ...]


def make_clean(landing: Path) -> Path:
    folder = landing / CLEAN_FOLDER
    generate_delivery(folder, n_patients=N_PATIENTS, seed=SEED)
    assert read_manifest(folder).data_cut_id == CLEAN_CUT
    return folder


def _generator_fragments(fault: Fault, folder: Path) -> list[Fragment]:
    """Count and example keys of a generator defect, from the manifest's record of what was planted."""
    manifest = read_manifest(folder)
    (record,) = manifest.defects_injected
    if fault.stage == "raw_tables":
        return []
    assert 0 < record.rows <= 5, f"{fault.name}: {record.rows} rows planted; lower the rate so every key is known"
    failing = record.rows * (2 if record.defect == "duplicate_keys" else 1)
    total = manifest.table(record.table).rows
    examples = list(record.example_keys)
    if record.defect == "unknown_code":  # the manifest keeps the code as it was before the defect replaced it
        examples = ["|".join([*k.split("|")[:2], "ZZZ.9"]) for k in examples]
    return [rows_of(failing, total), tuple(examples)]


def build(fault: Fault, landing: Path, clean: Path, spec: dict[str, Any], spec_dir: Path) -> Built:
    """Make the fault's delivery folder under ``landing`` (and its spec file for spec faults); a spec fault's
    delivery is a faithful copy of the clean one under its own data cut id."""
    folder = landing / fault.folder_name
    spec_path: Path | None = None
    extra: list[Fragment] = []
    if fault.defect is not None:
        name, rate = fault.defect
        generate_delivery(folder, n_patients=N_PATIENTS, seed=SEED, defects={name: rate})
        set_cut_id(folder, fault.cut)
        extra = _generator_fragments(fault, folder)
    else:
        shutil.copytree(clean, folder, ignore=shutil.ignore_patterns("truth"))
        if fault.name != "repeated_cut_id":
            set_cut_id(folder, fault.cut)
        if fault.edit is not None:
            extra = fault.edit(folder)
        if fault.spec_edit is not None:  # every spec error names the file and counts the errors
            extra = ["invalid study spec", f"{fault.name}.yaml", "1 error(s)"]
            bad = json.loads(json.dumps(spec, default=str))
            fault.spec_edit(bad)
            spec_path = spec_dir / f"{fault.name}.yaml"
            spec_path.write_text(yaml.safe_dump(bad, sort_keys=False))
    return Built(fault, folder, spec_path, (*fault.fragments, *extra))
