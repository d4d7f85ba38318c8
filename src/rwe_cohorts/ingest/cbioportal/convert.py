"""Convert a cBioPortal study folder into a delivery the pipeline ingests unchanged.

The delivery is the project's raw format: one Parquet file per raw table, typed per ``data_contracts/raw``, and a
``manifest.json`` with each file's rows and SHA-256 (what :func:`rwe_cohorts.ingest.delivery.verify_delivery`
checks), plus a ``source`` block (this conversion's summary: strictness, time axis, age rule, counts, the
conversion's attrition per reason (:mod:`.attrition`), notes). Beside it,
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
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rwe_cohorts.core.contracts import Contract, load_contracts
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
from rwe_cohorts.ingest.cbioportal.attrition import conversion_attrition, nobody_delivered
from rwe_cohorts.ingest.cbioportal.errors import CbioportalStudyError, Issues, examples
from rwe_cohorts.ingest.cbioportal.fusions import FusionStrictness
from rwe_cohorts.ingest.cbioportal.oncotree import VERSION as ONCOTREE_VERSION
from rwe_cohorts.ingest.cbioportal.reader import read_study
from rwe_cohorts.ingest.cbioportal.summary import SOURCE_NAME, ConversionSummary
from rwe_cohorts.ingest.cbioportal.tables import PLACEHOLDER_ID, RawTables, build_tables
from rwe_cohorts.ingest.cbioportal.timeaxis import TimeOptions, TimeOrigin
from rwe_cohorts.ingest.cbioportal.vocab import USED_COLUMNS
from rwe_cohorts.ingest.delivery import MANIFEST, sha256_file

SCHEMA_VERSION = "1.0"
_ARROW = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
}

AGE_COVARIATES = frozenset({"age_at_index_years"})


def age_required(spec: StudySpec) -> bool:
    """Whether the spec needs an age: a minimum age (``eligibility.min_age_years`` above 0) or age as a PS covariate."""
    return spec.eligibility.min_age_years > 0 or any(c.name in AGE_COVARIATES for c in spec.matching.ps_covariates)


def conversion_options(spec: StudySpec) -> dict[str, Any]:
    """The keyword arguments of :func:`convert_cbioportal_study` a study spec sets (its ``cbioportal`` block, time
    axis and whether an age is needed); an error for a spec whose source is not ``cbioportal``."""
    if spec.source != SOURCE_NAME or spec.cbioportal is None:
        raise ValueError(f"study {spec.study_id}: source is {spec.source!r}, not {SOURCE_NAME!r}")
    options = spec.cbioportal
    return {
        "strictness": FusionStrictness(options.fusion_strictness),
        "time_origin": options.time_origin,
        "anchor_date": options.anchor_date,
        "days_per_month": spec.time_axis.days_per_month,
        "death_day_of_month": spec.time_axis.death_day_of_month,
        "require_age": age_required(spec),
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
    require_age: bool = True,
) -> ConversionSummary:
    """Convert the cBioPortal study in ``study_dir`` into a delivery folder ``out_dir`` (which must not exist or be
    empty). ``data_cut_date`` defaults to the last synthesised date and may not be earlier; ``data_cut_id`` defaults
    to ``cbioportal_<study id>_<data cut date>``; ``require_age`` False delivers patients without an age (null birth
    year), for a spec that needs none. Returns the summary; raises :class:`CbioportalStudyError` listing every
    problem."""
    options = TimeOptions(time_origin, anchor_date, days_per_month, death_day_of_month)
    return _convert(
        Path(study_dir),
        lambda _: Path(out_dir),
        FusionStrictness(strictness),
        options,
        data_cut_date,
        data_cut_id,
        require_age=require_age,
    )


def land_cbioportal_study(
    study_dir: Path, landing_dir: Path, spec: StudySpec, *, data_cut_date: dt.date | None = None
) -> ConversionSummary:
    """Convert a study with the options of a ``source: cbioportal`` study spec and place the delivery in the landing
    area as ``<landing_dir>/<data cut id>/``, where ``rwe run`` finds it."""
    opts = conversion_options(spec)
    options = TimeOptions(opts["time_origin"], opts["anchor_date"], opts["days_per_month"], opts["death_day_of_month"])
    return _convert(
        Path(study_dir),
        lambda cut_id: Path(landing_dir) / cut_id,
        opts["strictness"],
        options,
        data_cut_date,
        None,
        require_age=opts["require_age"],
    )


def _convert(
    study_dir: Path,
    out_dir_for: Callable[[str], Path],
    strictness: FusionStrictness,
    options: TimeOptions,
    data_cut_date: dt.date | None,
    data_cut_id: str | None,
    *,
    require_age: bool,
) -> ConversionSummary:
    issues = Issues()
    study = read_study(study_dir, issues)
    if study is None:
        issues.raise_if_any(study_dir)
        raise CbioportalStudyError(study_dir, ["study could not be read"])
    tables: RawTables = build_tables(study, strictness, options, issues, age_required=require_age)
    contracts = {c.table: c for c in load_contracts(CONTRACTS_ROOT, "raw").values() if c.table != "load_log"}
    _check_against_contracts(tables.rows, contracts, issues)
    _ignored_columns({"data_clinical_patient.txt": study.patient_columns,
                      "data_clinical_sample.txt": study.sample_columns}, issues)  # fmt: skip
    latest = _latest_date(tables.rows, options.death_day_of_month) or options.anchor_date
    if data_cut_date is not None and data_cut_date < latest:
        issues.problem("data_cut_date", f"{data_cut_date} is before the last synthesised date {latest}")
    cut = data_cut_date or latest
    cut_id = data_cut_id or _data_cut_id(study.study_id, cut)
    out_dir = out_dir_for(cut_id)
    if out_dir.exists() and any(out_dir.iterdir()):
        issues.problem(str(out_dir), "output folder exists and is not empty")
    if tables.counts.get("patients_delivered", 0) == 0:
        steps = conversion_attrition(tables.counts, age_required=require_age)
        issues.problem("data_clinical_sample.txt", nobody_delivered(steps, sample_file="data_clinical_sample.txt"))
    elif not tables.rows["genomic_alterations"]:
        issues.problem(study.sv_file, "no structural variant in any delivered sample (a delivery needs one alteration)")
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
        days_per_month=options.days_per_month,
        age_required=require_age,
        oncotree_version=ONCOTREE_VERSION,
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
