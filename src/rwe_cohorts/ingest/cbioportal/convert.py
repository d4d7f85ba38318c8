"""Convert a cBioPortal study folder into a delivery the pipeline ingests unchanged.

The delivery is the project's raw format: one Parquet file per raw table, typed per ``data_contracts/raw``, and a
``manifest.json`` with each file's rows and SHA-256 (what :func:`rwe_cohorts.ingest.delivery.verify_delivery`
checks), plus a ``source`` block (this conversion's summary: strictness, time axis, counts, notes). Beside it,
``source/`` holds the crosswalk to cBioPortal ids (``crosswalk.parquet``), every structural variant's classification
at every strictness (``sv_events.parquet``) and the summary (``conversion.json``). The folder is written under a
temporary name and renamed at the end, so a landing-area scan never sees half a delivery.

Every problem with the study (missing files or columns, duplicate ids, samples unknown to the clinical file, malformed
survival or ages, a data cut before the last synthesised date) is collected and raised at once as
:class:`~rwe_cohorts.ingest.cbioportal.errors.CbioportalStudyError`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.ingest.cbioportal.errors import CbioportalStudyError, Issues, examples
from rwe_cohorts.ingest.cbioportal.fusions import FusionStrictness
from rwe_cohorts.ingest.cbioportal.reader import read_study
from rwe_cohorts.ingest.cbioportal.tables import PLACEHOLDER_ID, RawTables, build_tables
from rwe_cohorts.ingest.cbioportal.timeaxis import TimeOptions, TimeOrigin
from rwe_cohorts.ingest.cbioportal.vocab import USED_COLUMNS
from rwe_cohorts.ingest.delivery import MANIFEST, sha256_file

SCHEMA_VERSION = "1.0"
SOURCE_NAME = "cbioportal"
_ARROW = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
}


@dataclass(frozen=True)
class ConversionSummary:
    """What a conversion did; stored as the manifest's ``source`` block and in ``source/conversion.json``."""

    study_id: str
    study_name: str
    delivery_folder: str
    data_cut_id: str
    data_cut_date: str
    fusion_strictness: str
    time_origin_requested: str
    time_origin_applied: str
    anchor_date: str
    sv_file: str
    sv_layout: str
    sv_profiled_source: str
    timeline_files: tuple[str, ...]
    placeholder_patient_id: str | None
    placeholder_tables: tuple[str, ...]
    counts: Mapping[str, int]
    notes: tuple[str, ...]

    @property
    def time_axis_statement(self) -> str:
        """One sentence for the report: which time zero applied and why (see :mod:`.timeaxis`)."""
        with_dx = self.counts.get("patients_with_diagnosis_date", 0)
        delivered = self.counts.get("patients_with_solid_tumour", 0)
        if self.time_origin_applied == "diagnosis":
            head = (
                "Time zero is the diagnosis date from the cBioPortal timeline files; entry (left truncation) is the "
                "time from diagnosis to sequencing, because cBioPortal's OS_MONTHS counts from sequencing"
            )
            if with_dx < delivered:
                head += (
                    f"; {delivered - with_dx} of {delivered} patients with a solid tumour have no timeline diagnosis "
                    "date, hence no index date, and are removed at the attrition step advanced_in_window"
                )
        else:
            why = (
                "the spec asks for it"
                if self.time_origin_requested == "sequencing"
                else "the study has no timeline files"
                if not self.timeline_files
                else f"the timeline gives a diagnosis date for {with_dx} of {delivered} patients with a solid tumour"
            )
            head = (
                "Time zero is the sequencing date (cBioPortal's OS_MONTHS counts from sequencing), so entry is 0 "
                f"for every patient: {why}"
            )
        return (
            f"{head}. Dates are synthesised from relative times (anchor {self.anchor_date}; deaths placed on the "
            "imputed day of the month), so calendar years carry no information."
        )

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["timeline_files"] = list(self.timeline_files)
        data["placeholder_tables"] = list(self.placeholder_tables)
        data["counts"] = dict(self.counts)
        data["notes"] = list(self.notes)
        return {"name": SOURCE_NAME, **data, "time_axis_statement": self.time_axis_statement}


def conversion_options(spec: StudySpec) -> dict[str, Any]:
    """The keyword arguments of :func:`convert_cbioportal_study` a study spec sets (its ``cbioportal`` block and
    time axis); an error for a spec whose source is not ``cbioportal``."""
    if spec.source != SOURCE_NAME or spec.cbioportal is None:
        raise ValueError(f"study {spec.study_id}: source is {spec.source!r}, not {SOURCE_NAME!r}")
    options = spec.cbioportal
    return {
        "strictness": FusionStrictness(options.fusion_strictness),
        "time_origin": options.time_origin,
        "anchor_date": options.anchor_date,
        "days_per_month": spec.time_axis.days_per_month,
        "death_day_of_month": spec.time_axis.death_day_of_month,
    }


def _latest_date(rows: Mapping[str, list[dict[str, Any]]], death_day: int) -> dt.date | None:
    dates: list[dt.date] = [
        v for table in rows.values() for row in table for v in row.values() if isinstance(v, dt.date)
    ]
    dates += [dt.date(int(r["death_month"][:4]), int(r["death_month"][5:]), death_day) for r in rows["mortality"]]
    return max(dates, default=None)


def _check_against_contracts(
    rows: Mapping[str, list[dict[str, Any]]], contracts: Mapping[str, Contract], issues: Issues
) -> None:
    """The rows meet the raw contracts' column rules (not null, accepted values, patterns): a safety net that names
    table, column, count and examples if a mapping ever produces a value the contract does not accept."""
    for contract in contracts.values():
        table = rows.get(contract.table, [])
        for col in contract.columns:
            values = [r.get(col.name) for r in table]
            bad = []
            if not col.nullable:
                bad += [f"row {i + 1} (null)" for i, v in enumerate(values) if v is None]
            if col.accepted_values is not None and col.type == "VARCHAR":
                bad += [repr(v) for v in values if v is not None and v not in col.accepted_values]
            if col.pattern is not None:
                bad += [repr(v) for v in values if v is not None and not re.fullmatch(col.pattern, str(v))]
            if bad:
                issues.problem(
                    f"{contract.table}.parquet", f"column {col.name!r}: values the raw contract rejects", bad
                )


def _write_parquet(path: Path, rows: list[dict[str, Any]], contract: Contract) -> int:
    schema = pa.schema([(c.name, _ARROW[c.type]) for c in contract.columns])
    table = pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows], schema=schema)
    pq.write_table(table, path, compression="zstd")
    return table.num_rows


def _write_frame(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, compression="zstd")


def _data_cut_id(study_id: str, cut: dt.date) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", study_id).strip("._-") or "study"
    return f"cbioportal_{safe[:40]}_{cut.isoformat()}"


def _ignored_columns(study_columns: Mapping[str, tuple[str, ...]], issues: Issues) -> None:
    for name, columns in study_columns.items():
        unknown = [c for c in columns if c not in USED_COLUMNS]
        if unknown:
            issues.note(name, f"{len(unknown)} column(s) not used by the conversion: {examples(unknown, 20)}")


def convert_cbioportal_study(
    study_dir: Path,
    out_dir: Path,
    *,
    strictness: FusionStrictness | str = FusionStrictness.NAMED_PARTNER,
    data_cut_date: dt.date | None = None,
    time_origin: TimeOrigin = "auto",
    anchor_date: dt.date = dt.date(2000, 1, 1),
    days_per_month: float = 30.4375,
    death_day_of_month: int = 15,
    data_cut_id: str | None = None,
) -> ConversionSummary:
    """Convert the cBioPortal study in ``study_dir`` into a delivery folder ``out_dir`` (which must not exist or be
    empty). ``data_cut_date`` defaults to the last synthesised date and may not be earlier; ``data_cut_id`` defaults
    to ``cbioportal_<study id>_<data cut date>``. Returns the summary; raises :class:`CbioportalStudyError` listing
    every problem."""
    options = TimeOptions(time_origin, anchor_date, days_per_month, death_day_of_month)
    return _convert(
        Path(study_dir), lambda _: Path(out_dir), FusionStrictness(strictness), options, data_cut_date, data_cut_id
    )


def land_cbioportal_study(
    study_dir: Path, landing_dir: Path, spec: StudySpec, *, data_cut_date: dt.date | None = None
) -> ConversionSummary:
    """Convert a study with the options of a ``source: cbioportal`` study spec and place the delivery in the landing
    area as ``<landing_dir>/<data cut id>/``, where ``rwe run`` finds it."""
    opts = conversion_options(spec)
    options = TimeOptions(opts["time_origin"], opts["anchor_date"], opts["days_per_month"], opts["death_day_of_month"])
    return _convert(
        Path(study_dir), lambda cut_id: Path(landing_dir) / cut_id, opts["strictness"], options, data_cut_date, None
    )


def _convert(
    study_dir: Path,
    out_dir_for: Callable[[str], Path],
    strictness: FusionStrictness,
    options: TimeOptions,
    data_cut_date: dt.date | None,
    data_cut_id: str | None,
) -> ConversionSummary:
    issues = Issues()
    study = read_study(study_dir, issues)
    if study is None:
        issues.raise_if_any(study_dir)
        raise CbioportalStudyError(study_dir, ["study could not be read"])
    tables: RawTables = build_tables(study, strictness, options, issues)
    contracts = {c.table: c for c in load_contracts(CONTRACTS_ROOT, "raw").values() if c.table != "load_log"}
    _check_against_contracts(tables.rows, contracts, issues)
    _ignored_columns({"data_clinical_patient.txt": study.patient_columns,
                      "data_clinical_sample.txt": study.sample_columns}, issues)  # fmt: skip
    latest = _latest_date(tables.rows, options.death_day_of_month) or options.anchor_date
    if data_cut_date is not None and data_cut_date < latest:
        issues.problem("data_cut_date", f"{data_cut_date} is before the last synthesised date {latest}")
    if tables.counts.get("patients_delivered", 0) == 0:
        issues.problem(study.sv_file or "data_clinical_sample.txt", "no patient can be delivered")
    if not tables.rows["genomic_alterations"]:
        issues.problem(study.sv_file, "no structural variant in any delivered sample (a delivery needs one alteration)")
    cut = data_cut_date or latest
    cut_id = data_cut_id or _data_cut_id(study.study_id, cut)
    out_dir = out_dir_for(cut_id)
    if out_dir.exists() and any(out_dir.iterdir()):
        issues.problem(str(out_dir), "output folder exists and is not empty")
    issues.raise_if_any(study_dir)
    summary = ConversionSummary(
        study_id=study.study_id,
        study_name=study.name,
        delivery_folder=out_dir.name,
        data_cut_id=cut_id,
        data_cut_date=cut.isoformat(),
        fusion_strictness=strictness.value,
        time_origin_requested=options.time_origin,
        time_origin_applied=tables.time_origin,
        anchor_date=options.anchor_date.isoformat(),
        sv_file=study.sv_file,
        sv_layout=study.sv_layout,
        sv_profiled_source=study.sv_profiled_source,
        timeline_files=study.timeline_files,
        placeholder_patient_id=PLACEHOLDER_ID if tables.placeholder_tables else None,
        placeholder_tables=tuple(tables.placeholder_tables),
        counts=dict(tables.counts),
        notes=tuple(issues.notes),
    )
    _write_delivery(out_dir, tables, contracts, summary)
    return summary


def _write_delivery(
    out_dir: Path, tables: RawTables, contracts: Mapping[str, Contract], summary: ConversionSummary
) -> None:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        entries = []
        for name, contract in sorted(contracts.items()):
            path = tmp / f"{name}.parquet"
            n = _write_parquet(path, tables.rows.get(name, []), contract)
            entries.append(
                {
                    "table": name,
                    "file": path.name,
                    "rows": n,
                    "sha256": sha256_file(path),
                    "columns": [{"name": c.name, "type": c.type} for c in contract.columns],
                }
            )
        _write_frame(tmp / "source" / "crosswalk.parquet", tables.crosswalk)
        if tables.event_audit:
            _write_frame(tmp / "source" / "sv_events.parquet", tables.event_audit)
        source = summary.to_json()
        (tmp / "source" / "conversion.json").write_text(json.dumps(source, indent=2) + "\n")
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "data_cut_id": summary.data_cut_id,
            "data_cut_date": summary.data_cut_date,
            "source": source,
            "tables": entries,
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if out_dir.exists():
            out_dir.rmdir()
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_source_summary(delivery_folder: Path) -> dict[str, Any] | None:
    """The ``source`` block of a converted delivery's manifest (None for a delivery from another source)."""
    path = Path(delivery_folder) / MANIFEST
    if not path.is_file():
        return None
    source = json.loads(path.read_text()).get("source")
    return source if isinstance(source, dict) and source.get("name") == SOURCE_NAME else None
