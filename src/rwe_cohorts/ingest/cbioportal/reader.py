"""Read a cBioPortal study folder, as published (e.g. by cBioPortal's datahub), into one typed object.

Files are found through the study's ``meta_*.txt`` files (``data_filename``), falling back to the conventional names:
``meta_study.txt`` (required), ``data_clinical_sample.txt`` (required), ``data_clinical_patient.txt``, structural
variants in ``data_sv.txt`` (either layout: the older ``Site1_Hugo_Symbol`` / ``Event_Info`` columns or the newer
``Site2_Effect_On_Frame`` / ``Annotation`` / ``RNA_Support``) or else ``data_fusions.txt`` (one row per gene, grouped
into events by sample and ``Fusion`` text), ``data_gene_panel_matrix.txt``, ``case_lists/*.txt`` and every
``data_timeline*.txt``.

Which samples were profiled for structural variants: the SV case list (stable id ending ``_sv`` / ``_fusion``, or
category ``all_cases_with_sv_data``), else the gene panel matrix's SV column. For ``data_fusions.txt`` (fusions were
stored with mutations in cBioPortal) the mutation-profile list (``_sequenced``) or matrix column is the fallback.
Without any of these, negative cannot be told from not profiled, and the study is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rwe_cohorts.ingest.cbioportal.errors import Issues
from rwe_cohorts.ingest.cbioportal.fusions import SvEvent
from rwe_cohorts.ingest.cbioportal.tsv import CaseList, TsvTable, read_case_lists, read_meta, read_tsv

Row = Mapping[str, str | None]
_DEFAULTS = {
    "patient": "data_clinical_patient.txt",
    "sample": "data_clinical_sample.txt",
    "sv": "data_sv.txt",
    "fusion": "data_fusions.txt",
    "matrix": "data_gene_panel_matrix.txt",
}
_META_KINDS = {
    ("CLINICAL", "PATIENT_ATTRIBUTES"): "patient",
    ("CLINICAL", "SAMPLE_ATTRIBUTES"): "sample",
    ("STRUCTURAL_VARIANT", "SV"): "sv",
    ("FUSION", "FUSION"): "fusion",
    ("GENE_PANEL_MATRIX", "GENE_PANEL_MATRIX"): "matrix",
}
_SV_MATRIX_COLUMNS = ("STRUCTURAL_VARIANTS", "SV", "FUSION", "FUSIONS")


@dataclass(frozen=True)
class Sample:
    sample_id: str
    patient_id: str
    attrs: Row


@dataclass(frozen=True)
class TimelineEvent:
    """A timeline row: days relative to the patient's timeline zero; ``attrs`` keeps every column."""

    patient_id: str
    start_day: int
    stop_day: int | None
    event_type: str
    attrs: Row
    source: str


@dataclass(frozen=True)
class CbioportalStudy:
    folder: Path
    study_id: str
    name: str
    type_of_cancer: str | None
    patients: Mapping[str, Row]
    patient_columns: tuple[str, ...]
    samples: tuple[Sample, ...]
    sample_columns: tuple[str, ...]
    sv_file: str
    sv_layout: str
    sv_events: tuple[SvEvent, ...]
    sv_profiled: frozenset[str]
    sv_profiled_source: str
    sample_panels: Mapping[str, str]
    timeline: tuple[TimelineEvent, ...]
    timeline_files: tuple[str, ...]


def _find_files(folder: Path, issues: Issues) -> tuple[dict[str, str], dict[str, Path], list[Path]]:
    study_meta: dict[str, str] = {}
    found: dict[str, Path] = {}
    timelines: list[Path] = []
    for path in sorted(folder.glob("meta_*.txt")):
        meta = read_meta(path, issues)
        if path.name == "meta_study.txt":
            study_meta = meta
            continue
        kind_key = (meta.get("genetic_alteration_type", "").upper(), meta.get("datatype", "").upper())
        data = meta.get("data_filename")
        if not data or (kind_key not in _META_KINDS and kind_key != ("CLINICAL", "TIMELINE")):
            continue
        if not (folder / data).is_file():
            issues.problem(path.name, f"data_filename {data!r} does not exist in the study folder")
        elif kind_key == ("CLINICAL", "TIMELINE"):
            timelines.append(folder / data)
        else:
            found.setdefault(_META_KINDS[kind_key], folder / data)
    for kind, default in _DEFAULTS.items():
        if kind not in found and (folder / default).is_file():
            found[kind] = folder / default
    timelines = sorted(set(timelines) | set(folder.glob("data_timeline*.txt")))
    if not (folder / "meta_study.txt").is_file():
        issues.problem("meta_study.txt", "missing (is this a cBioPortal study folder?)")
    elif not study_meta.get("cancer_study_identifier"):
        issues.problem("meta_study.txt", "cancer_study_identifier missing")
    if "sample" not in found:
        old = " (data_clinical.txt, the pre-2016 single clinical file, is not supported)"
        issues.problem(_DEFAULTS["sample"], "missing" + (old if (folder / "data_clinical.txt").is_file() else ""))
    if "sv" not in found and "fusion" not in found:
        issues.problem("data_sv.txt", "missing, and no data_fusions.txt either: NTRK fusion status cannot be assessed")
    return study_meta, found, timelines


def _clinical(
    found: dict[str, Path], issues: Issues
) -> tuple[dict[str, Row], tuple[str, ...], list[Sample], tuple[str, ...]]:
    patients: dict[str, Row] = {}
    patient_columns: tuple[str, ...] = ()
    if "patient" in found and (table := read_tsv(found["patient"], issues, required=("PATIENT_ID",))):
        patient_columns = table.columns
        dupes = []
        for row, line in zip(table.rows, table.lines, strict=True):
            pid = row["PATIENT_ID"]
            if pid is None:
                issues.problem(table.name, "row without PATIENT_ID", [f"line {line}"])
            elif pid in patients:
                dupes.append(pid)
            else:
                patients[pid] = row
        if dupes:
            issues.problem(table.name, "column 'PATIENT_ID': duplicate patients", dupes)
    samples: list[Sample] = []
    sample_columns: tuple[str, ...] = ()
    if "sample" in found and (table := read_tsv(found["sample"], issues, required=("PATIENT_ID", "SAMPLE_ID"))):
        sample_columns = table.columns
        seen: set[str] = set()
        dupes, no_patient = [], []
        for row, line in zip(table.rows, table.lines, strict=True):
            sid, pid = row["SAMPLE_ID"], row["PATIENT_ID"]
            if sid is None or pid is None:
                no_patient.append(sid or f"line {line}")
            elif sid in seen:
                dupes.append(sid)
            else:
                seen.add(sid)
                samples.append(Sample(sid, pid, row))
        if dupes:
            issues.problem(table.name, "column 'SAMPLE_ID': duplicate samples", dupes)
        if no_patient:
            issues.problem(table.name, "rows without SAMPLE_ID or PATIENT_ID", no_patient)
    if patients:
        orphans = sorted({s.patient_id for s in samples} - set(patients))
        if orphans:
            issues.note(found["sample"].name, "patients absent from the patient file (no survival)", orphans)
    return patients, patient_columns, samples, sample_columns


def _sv_events(table: TsvTable, issues: Issues) -> tuple[str, list[SvEvent]]:
    sample_col = table.first_column("SAMPLE_ID", "TUMOR_SAMPLE_BARCODE") or "SAMPLE_ID"
    newer = any(table.has(c) for c in ("SITE2_EFFECT_ON_FRAME", "ANNOTATION", "RNA_SUPPORT"))
    layout = "structural variants, newer layout (Site2_Effect_On_Frame / Annotation / RNA_Support)"
    events = []
    germline = []
    for row, line in zip(table.rows, table.lines, strict=True):
        if (row.get("SV_STATUS") or "").upper() == "GERMLINE":
            germline.append(f"line {line}")
            continue
        text = " | ".join(v for c in ("EVENT_INFO", "ANNOTATION", "CLASS", "COMMENTS") if (v := row.get(c)))
        events.append(
            SvEvent(
                sample_id=row.get(sample_col) or "",
                site1_gene=row.get("SITE1_HUGO_SYMBOL"),
                site2_gene=row.get("SITE2_HUGO_SYMBOL"),
                frame=row.get("SITE2_EFFECT_ON_FRAME") or row.get("SITE1_EFFECT_ON_FRAME"),
                rna_support=row.get("RNA_SUPPORT"),
                description=text,
                source=f"{table.name}:{line}",
            )
        )
    if germline:
        issues.note(table.name, "germline structural variants (SV_Status GERMLINE) ignored", germline)
    return layout if newer else "structural variants, older layout (Site1_Hugo_Symbol / Event_Info)", events


def _fusion_events(table: TsvTable) -> list[SvEvent]:
    """One event per (sample, ``Fusion`` text): the genes of its rows are the two sites, in first-seen order."""
    groups: dict[tuple[str, str, str], list[tuple[Row, int]]] = {}
    for row, line in zip(table.rows, table.lines, strict=True):
        fusion = row.get("FUSION") or ""
        key = (row.get("TUMOR_SAMPLE_BARCODE") or "", fusion, "" if fusion else f"{line}")
        groups.setdefault(key, []).append((row, line))
    events = []
    for (sample, fusion, _), rows in groups.items():
        genes = list(dict.fromkeys(g for r, _ in rows if (g := r.get("HUGO_SYMBOL"))))

        def first(col: str, rows: list[tuple[Row, int]] = rows) -> str | None:
            return next((v for r, _ in rows if (v := r.get(col))), None)

        events.append(
            SvEvent(
                sample_id=sample,
                site1_gene=genes[0] if genes else None,
                site2_gene=genes[1] if len(genes) > 1 else None,
                frame=first("FRAME"),
                rna_support=first("RNA_SUPPORT"),
                description=" | ".join(v for v in (fusion, first("METHOD"), first("COMMENTS")) if v),
                source=f"{table.name}:{rows[0][1]}",
            )
        )
    return events


def _profiled(
    sv_kind: str, lists: tuple[CaseList, ...], matrix: TsvTable | None, issues: Issues, sv_file: str
) -> tuple[frozenset[str] | None, str, dict[str, str]]:
    panels: dict[str, str] = {}
    columns = _SV_MATRIX_COLUMNS + (("MUTATIONS",) if sv_kind == "fusion" else ())
    matrix_col = matrix.first_column(*columns) if matrix else None
    if matrix is not None and matrix_col is not None:
        panels = {s: p for r in matrix.rows if (s := r.get("SAMPLE_ID")) and (p := r.get(matrix_col))}
    sv_lists = [
        c
        for c in lists
        if c.stable_id.lower().endswith(("_sv", "_fusion", "_structural_variants"))
        or c.category.lower() == "all_cases_with_sv_data"
    ]
    if not sv_lists and sv_kind == "fusion":
        sv_lists = [
            c
            for c in lists
            if c.stable_id.lower().endswith("_sequenced") or c.category.lower() == "all_cases_with_mutation_data"
        ]
    if sv_lists:
        ids = frozenset(s for c in sv_lists for s in c.sample_ids)
        return ids, "case list " + ", ".join(f"{c.file} ({c.stable_id})" for c in sv_lists), panels
    if matrix is not None and matrix_col is not None:
        return frozenset(panels), f"{matrix.name} column {matrix_col}", panels
    issues.problem(
        "case_lists",
        f"no structural-variant case list (stable_id ending '_sv', or category all_cases_with_sv_data) and no SV "
        f"column in {_DEFAULTS['matrix']}: samples without an event in {sv_file} could be negative or not profiled",
    )
    return None, "", panels


def _timeline(paths: list[Path], patients: set[str], issues: Issues) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for path in paths:
        table = read_tsv(path, issues, required=("PATIENT_ID", "START_DATE", "EVENT_TYPE"))
        if table is None:
            continue
        bad, unknown = [], []
        for row, line in zip(table.rows, table.lines, strict=True):
            start, stop = _day(row.get("START_DATE")), _day(row.get("STOP_DATE"))
            pid = row.get("PATIENT_ID")
            if start is None or (row.get("STOP_DATE") is not None and stop is None):
                bad.append(f"line {line} ({row.get('START_DATE')!r}, {row.get('STOP_DATE')!r})")
            elif pid not in patients:
                unknown.append(pid or f"line {line}")
            else:
                events.append(
                    TimelineEvent(pid, start, stop, (row.get("EVENT_TYPE") or "").upper(), row, f"{table.name}:{line}")
                )
        if bad:
            issues.problem(table.name, "column 'START_DATE' / 'STOP_DATE': not a whole number of days", bad)
        if unknown:
            issues.note(table.name, "events of patients without samples, ignored", unknown)
    return events


def _day(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def read_study(folder: Path, issues: Issues) -> CbioportalStudy | None:
    """Read every file of the study; problems and notes go to ``issues``. None when the study cannot be used."""
    folder = Path(folder)
    if not folder.is_dir():
        issues.problem(str(folder), "not a folder")
        return None
    study_meta, found, timeline_paths = _find_files(folder, issues)
    patients, patient_columns, samples, sample_columns = _clinical(found, issues)
    known_samples = {s.sample_id for s in samples}
    sv_kind = "sv" if "sv" in found else "fusion"
    events: list[SvEvent] = []
    sv_file, layout = found[sv_kind].name if sv_kind in found else "", ""
    if "sv" in found and "fusion" in found:
        issues.note(found["fusion"].name, f"ignored: {found['sv'].name} (the current format) is used")
    if sv_kind == "sv" and (table := read_tsv(found["sv"], issues, required=("SAMPLE_ID",))):
        if not (table.has("SITE1_HUGO_SYMBOL") or table.has("SITE2_HUGO_SYMBOL")):
            issues.problem(table.name, "neither 'Site1_Hugo_Symbol' nor 'Site2_Hugo_Symbol' is a column")
        layout, events = _sv_events(table, issues)
    elif "fusion" in found and (
        table := read_tsv(found["fusion"], issues, required=("HUGO_SYMBOL", "TUMOR_SAMPLE_BARCODE", "FUSION"))
    ):
        layout, events = (
            "fusions (data_fusions.txt: one row per gene, grouped by sample and Fusion)",
            _fusion_events(table),
        )
    strangers = [e.sample_id or e.source for e in events if e.sample_id not in known_samples]
    if strangers and known_samples:
        issues.problem(sv_file, "column 'Sample_Id': samples not in the clinical sample file", strangers)
    lists = read_case_lists(folder, issues)
    for case_list in lists:
        unknown = [s for s in case_list.sample_ids if s not in known_samples]
        if unknown and known_samples:
            issues.problem(case_list.file, "case_list_ids: samples not in the clinical sample file", unknown)
    matrix = read_tsv(found["matrix"], issues, required=("SAMPLE_ID",)) if "matrix" in found else None
    profiled, profiled_source, panels = _profiled(sv_kind, lists, matrix, issues, sv_file or "data_sv.txt")
    all_patients = {s.patient_id for s in samples}
    timeline = _timeline(timeline_paths, all_patients, issues)
    if issues.problems or profiled is None:
        return None
    return CbioportalStudy(
        folder=folder,
        study_id=study_meta["cancer_study_identifier"],
        name=study_meta.get("name", study_meta["cancer_study_identifier"]),
        type_of_cancer=study_meta.get("type_of_cancer"),
        patients=patients,
        patient_columns=patient_columns,
        samples=tuple(samples),
        sample_columns=sample_columns,
        sv_file=sv_file,
        sv_layout=layout,
        sv_events=tuple(events),
        sv_profiled=profiled,
        sv_profiled_source=profiled_source,
        sample_panels=panels,
        timeline=tuple(timeline),
        timeline_files=tuple(p.name for p in timeline_paths),
    )
