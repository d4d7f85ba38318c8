"""Timing of the whole quality layer at study size (~58k patients, ~1.5M visits); marked slow (not in ``make test``).

Run with ``uv run pytest -m slow tests/unit/test_quality_bench.py -s``. The data is a quick contract-shaped fake built
in DuckDB SQL (not the study's synthetic generator): it only has to be big, valid and plausible.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb
import pytest

from rwe_cohorts.core.contracts import load_contracts
from rwe_cohorts.quality import (
    GXContext,
    genomic_checks,
    outcomes_to_frame,
    qa_summary_text,
    validate_relations,
)

ROOT = Path(__file__).resolve().parents[2]
N_PATIENTS = 58_001

FAKE_RAW = """
create schema raw;
create macro day_offset(x) as date '2011-01-01' + cast(x as integer);
create table raw.load_log as
    select 'cut_2021-03-31' as data_cut_id, date '2021-03-31' as data_cut_date, t as table_name,
           t || '.csv' as file_name,
           repeat('ab', 32) as file_sha256, 0::bigint as row_count, timestamp '2021-04-02 10:00:00' as loaded_at
    from unnest(['demographics', 'visits']) u(t);
create table raw.demographics as
    select printf('F%012X', i) as patient_id, (1930 + i % 60)::integer as birth_year,
           case when i % 2 = 0 then 'F' else 'M' end as gender, 'White' as race,
           'Not Hispanic or Latino' as ethnicity, 'CA' as state
    from range(1, $n + 1) r(i);
create table raw.cancer_diagnosis as
    select printf('F%012X', i) as patient_id,
           (['NSCLC', 'Colorectal', 'Breast', 'Thyroid', 'Salivary gland'])[1 + i % 5] as cancer_type,
           day_offset(i % 3000) as diagnosis_date, 'Stage IV' as group_stage,
           day_offset(i % 3000 + 30) as advanced_diagnosis_date, null::varchar as histology,
           'History of smoking' as smoking_status
    from range(1, $n + 1) r(i);
create table raw.diagnosis_codes as
    select printf('F%012X', i) as patient_id, day_offset(i % 3000 + 20 * k) as diagnosis_date,
           'ICD-10-CM' as code_system, 'C34.9' || k as diagnosis_code
    from range(1, $n + 1) r(i), range(5) s(k);
create table raw.ecog as
    select printf('F%012X', i) as patient_id, day_offset(i % 3000 + 60 * k) as ecog_date,
           ((i + k) % 5)::integer as ecog_value
    from range(1, $n + 1) r(i), range(4) s(k);
create table raw.panel_genes as
    select v as panel_version, g as gene, g like 'NTRK%' or g in ('ALK', 'ROS1', 'RET') as is_rearrangement_baited
    from unnest(['T7', 'FM4', 'FM5']) a(v),
         unnest(['KRAS', 'EGFR', 'ALK', 'BRAF', 'ERBB2', 'ROS1', 'MET', 'RET', 'TP53', 'NTRK1', 'NTRK2', 'NTRK3',
                 'PIK3CA', 'CDKN2A', 'PTEN', 'APC', 'SMAD4', 'ARID1A', 'MYC', 'CCND1']) b(g);
create table raw.genomic_reports as
    select printf('ORD-%09d-%02d', i, k) as report_id, printf('F%012X', i) as patient_id,
           printf('SA-%09d', 2 * i + k) as sample_id, day_offset(i % 3000 + 40 + 90 * k)
           as specimen_collected_date, day_offset(i % 3000 + 50 + 90 * k) as report_date,
           'FoundationOne' as assay, (['T7', 'FM4', 'FM5'])[1 + i % 3] as panel_version, 'Tissue' as specimen_type
    from range(1, $n + 1) r(i), range(1, 3) s(k) where k = 1 or i % 5 = 0;
create table raw.genomic_alterations as
    select printf('ALT-%010d', row_number() over ()) as alteration_id, report_id,
           case when g = 0 and p % 500 = 7 then 'NTRK' || (1 + p % 3)
                when g = 0 then 'KRAS' else (['TP53', 'PIK3CA', 'CDKN2A', 'PTEN', 'APC'])[g] end as gene,
           case when g = 0 and p % 500 = 7 then 'rearrangement' else 'short variant' end as alteration_type,
           'detail' as alteration_detail, case when g = 0 and p % 500 = 7 then 'ETV6' end as fusion_partner,
           g > 0 or p % 500 = 7 or p % 4 = 0 as is_functional
    from (select report_id, cast(substr(report_id, 5, 9) as integer) as p from raw.genomic_reports), range(6) s(g);
create table raw.lines_of_therapy as
    select printf('F%012X', i) as patient_id, k::integer as line_number, 'carboplatin, pemetrexed' as line_name,
           day_offset(i % 3000 + 60 + 120 * k) as start_date,
           case when k = 1 then day_offset(i % 3000 + 200) end as end_date,
           false as is_maintenance
    from range(1, $n + 1) r(i), range(1, 3) s(k);
create table raw.mortality as
    select printf('F%012X', i) as patient_id, printf('%04d-%02d', 2019 + i % 2, 1 + i % 12) as death_month
    from range(1, $n + 1) r(i) where i % 5 < 3;
create table raw.practice as
    select printf('F%012X', i) as patient_id, printf('S%04d', i % 300) as practice_id,
           case when i % 4 = 0 then 'ACADEMIC' else 'COMMUNITY' end as practice_type
    from range(1, $n + 1) r(i);
create table raw.visits as
    select printf('V%011d', i * 26 + k) as visit_id, printf('F%012X', i) as patient_id,
           day_offset(i % 3000 + 14 * k) as visit_date,
           (['Office visit', 'Infusion', 'Telemedicine', 'Lab'])[1 + k % 4] as visit_type
    from range(1, $n + 1) r(i), range(26) s(k);
"""


@pytest.mark.slow
def test_all_raw_checks_at_study_size(tmp_path: Path) -> None:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    con = duckdb.connect()
    for statement in FAKE_RAW.replace("$n", str(N_PATIENTS)).split(";"):
        if statement.strip():
            con.execute(statement)
    timings["build fake raw (DuckDB)"] = time.perf_counter() - start

    contracts = load_contracts(ROOT / "data_contracts", "raw")
    counts = {rel: con.execute(f"select count(*) from {rel}").fetchall()[0][0] for rel in contracts}
    t = time.perf_counter()
    context = GXContext.file(tmp_path)
    timings["GX file context"] = time.perf_counter() - t

    t = time.perf_counter()
    validations = validate_relations(con, contracts.values(), run_id="bench", data_cut_id="cut", context=context)
    timings["validate all raw relations"] = time.perf_counter() - t
    t = time.perf_counter()
    genomics = genomic_checks(con, context=context, run_id="bench", data_cut_id="cut")
    timings["genomic checks"] = time.perf_counter() - t
    t = time.perf_counter()
    index = context.build_data_docs()
    timings["Data Docs"] = time.perf_counter() - t
    t = time.perf_counter()
    validations_again = validate_relations(con, contracts.values(), run_id="bench2", data_cut_id="cut", context=context)
    timings["validate all raw relations (suites already saved)"] = time.perf_counter() - t

    frame = outcomes_to_frame([*validations, *genomics], run_id="bench", data_cut_id="cut")
    print("\nrows:", counts, f"total={sum(counts.values()):,}")
    for step, seconds in timings.items():
        print(f"{step:55s} {seconds:6.2f} s")
    print(qa_summary_text([*validations, *genomics]))
    print(frame.filter(~frame["passed"]).select("relation", "rule", "unexpected_count", "example_keys"))
    checks_seconds = timings["validate all raw relations"] + timings["genomic checks"] + timings["Data Docs"]
    assert checks_seconds < 30, timings
    assert index.is_file()
    assert all(v.success for v in validations), [v.failures for v in validations if not v.success]
    assert [v.failures for v in validations_again] == [v.failures for v in validations]
    assert all(o.passed for o in genomics), genomics
