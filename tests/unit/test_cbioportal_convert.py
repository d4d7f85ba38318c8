"""A cBioPortal study folder converted into a delivery: it passes ingest verification, loads, and the staging,
intermediate and cohort SQL build on it unchanged, with the NTRK+ / NTRK- / unknown counts and the time axis the
conventions promise."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from cbioportal_build import build_warehouse
from cbioportal_folders import EXPECTED_PATIENTS, STUDY_ID, write_study, write_timeline

from rwe_cohorts.core.contracts import Contract
from rwe_cohorts.core.spec import StudySpec
from rwe_cohorts.ingest.cbioportal import (
    PLACEHOLDER_ID,
    CbioportalStudyError,
    ConversionSummary,
    conversion_options,
    convert_cbioportal_study,
    land_cbioportal_study,
    read_source_summary,
)
from rwe_cohorts.ingest.cbioportal.tables import pseudonym
from rwe_cohorts.ingest.delivery import read_delivery, verify_delivery
from rwe_cohorts.matching import PropensityModelWarning


def _pid(source: str) -> str:
    return pseudonym(STUDY_ID, source)


def _statuses(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute("select exposure_status, count(*) from intermediate.patient_genomics group by all").fetchall()
    return dict(rows)


@pytest.mark.parametrize("layout", ["sv_new", "sv_old", "fusions"])
@pytest.mark.parametrize("strictness", ["any_sv", "named_partner", "confirmed"])
def test_delivery_loads_and_sql_counts_ntrk_status(
    tmp_path: Path, layout: str, strictness: str, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    study = write_study(tmp_path / "study", layout=layout)
    summary = convert_cbioportal_study(study, tmp_path / "delivery", strictness=strictness)
    expected = EXPECTED_PATIENTS[strictness]
    assert {k: summary.counts[f"patients_ntrk_{k}"] for k in expected} == expected
    con = build_warehouse(tmp_path / "delivery", cbio_spec, raw_contracts, tmp_path / "warehouse.duckdb")
    sql = _statuses(con)
    assert sql == {
        "positive": expected["positive"],
        "negative": expected["negative"],
        "not_assessable": expected["unknown"],
    }
    unknown = con.execute(
        "select patient_id from intermediate.patient_genomics where exposure_status = 'not_assessable'"
    ).fetchall()
    assert unknown == [(_pid("P08"),)]  # P08 was not in the SV case list: not tested, not negative
    con.close()


@pytest.fixture
def converted(tmp_path: Path) -> tuple[Path, ConversionSummary]:
    study = write_study(tmp_path / "study", timeline=True)
    return tmp_path / "delivery", convert_cbioportal_study(study, tmp_path / "delivery")


def test_sequencing_time_axis_survival_and_attrition(
    converted: tuple[Path, ConversionSummary], tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    folder, summary = converted
    assert summary.time_origin_applied == "sequencing"
    assert "Time zero is the sequencing date" in summary.time_axis_statement
    assert "2 of 13 patients with a solid tumour" in summary.time_axis_statement
    con = build_warehouse(folder, cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    axes = dict(
        (pid, (entry, exit_, event))
        for pid, entry, exit_, event in con.execute(
            "select patient_id, entry_days, exit_days, is_event from intermediate.cohort_time_axes "
            "where index_rule = 'advanced_diagnosis'"
        ).fetchall()
    )
    # OS_MONTHS comes back to the day (months x 30.4375, rounded): deaths are placed on the imputed day 15.
    assert axes[_pid("P01")] == (0, round(12.5 * 30.4375), True)
    assert axes[_pid("P02")] == (0, round(30.0 * 30.4375), False)
    assert axes[_pid("P10")] == (0, round(20.0 * 30.4375), True)
    assert axes[_pid("P09")] == (0, 0, False)  # no survival: exit = entry, cannot contribute
    assert all(entry == 0 for entry, _, _ in axes.values())
    reconciled = con.execute("select count(*) from intermediate.patient_outcomes where is_death_date_reconciled")
    assert reconciled.fetchone() == (0,)
    cohort = dict(con.execute("select patient_id, arm from marts.analytic_cohort").fetchall())
    # P01 took larotrectinib (timeline TREATMENT): excluded; P08 unknown; P09, P13, P14 no survival; P11 leukaemia;
    # P16's NTRK3 fusion is in a breast sample, not in the GIST that is P16's cancer type: NTRK-.
    assert cohort == {
        _pid("P02"): "NTRK+",
        _pid("P10"): "NTRK+",
        **{_pid(p): "NTRK-" for p in ("P03", "P04", "P05", "P06", "P07", "P16")},
    }
    steps = dict(con.execute("select step, sum(patients_remaining) from marts.attrition group by step").fetchall())
    assert steps["all_patients"] == 15  # 14 delivered + the placeholder patient
    assert steps["solid_tumour_with_ngs"] == 13  # the leukaemia and the placeholder are removed
    assert steps["excluded_drug_naive"] == 12
    assert steps["exposure_assessable"] == 11
    assert steps["follow_up_after_entry"] == 8
    con.close()


def test_multiple_samples_lines_and_placeholder(
    converted: tuple[Path, ConversionSummary], tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    folder, summary = converted
    con = build_warehouse(folder, cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    reports = con.execute(
        "select panel_version, report_date, specimen_collected_date from raw.genomic_reports "
        "where patient_id = ? order by report_date",
        [_pid("P10")],
    ).fetchall()
    (panel_a, first, _), (panel_b, second, specimen_b) = reports
    assert (panel_a, panel_b) == (f"{STUDY_ID}/no-sv", f"{STUDY_ID}/sv")
    assert (second - first).days == 200 and (second - specimen_b).days == 20
    lines = con.execute(
        "select line_number, line_name, start_date, end_date from raw.lines_of_therapy where patient_id = ? "
        "order by line_number",
        [_pid("P01")],
    ).fetchall()
    anchor = con.execute("select report_date from raw.genomic_reports where patient_id = ?", [_pid("P01")]).fetchone()
    assert anchor is not None
    assert lines == [
        (1, "carboplatin,pemetrexed", anchor[0] - dt.timedelta(days=40), anchor[0] - dt.timedelta(days=10)),
        (2, "larotrectinib", anchor[0] + dt.timedelta(days=10), None),
    ]
    assert summary.placeholder_tables == ("practice", "ecog", "diagnosis_codes")
    for table in summary.placeholder_tables:
        assert con.execute(f"select distinct patient_id from raw.{table}").fetchall() == [(PLACEHOLDER_ID,)]
    eligibility = con.execute(
        "select has_solid_tumour_and_report from intermediate.patient_eligibility where patient_id = ?",
        [PLACEHOLDER_ID],
    ).fetchone()
    assert eligibility == (False,)
    baseline = con.execute("select distinct practice_type, ecog_baseline from intermediate.patient_baseline")
    assert baseline.fetchall() == [("unknown", "unknown")]
    types = dict(con.execute("select patient_id, cancer_type from raw.cancer_diagnosis").fetchall())
    # OncoTree main types: the matching stratum of this source.
    assert types[_pid("P09")] == "Bone Cancer" and types[_pid("P13")] == "Hepatobiliary Cancer"
    assert types[_pid("P16")] == "Gastrointestinal Stromal Tumor" and types[_pid("P02")] == "Non-Small Cell Lung Cancer"
    assert _pid("P11") not in types
    reports = con.execute("select count(*) from raw.genomic_reports where patient_id = ?", [_pid("P16")]).fetchone()
    assert reports == (1,)  # S16B (breast) is another cancer type: not delivered
    con.close()


def test_diagnosis_time_axis_gives_delayed_entry(
    tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    study = write_study(tmp_path / "study")
    write_timeline(study, diagnosis_for_all=True)
    summary = convert_cbioportal_study(study, tmp_path / "delivery")
    assert summary.time_origin_applied == "diagnosis"
    assert "Time zero is the diagnosis date" in summary.time_axis_statement
    con = build_warehouse(tmp_path / "delivery", cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    axes = dict(
        (pid, (entry, exit_))
        for pid, entry, exit_ in con.execute(
            "select patient_id, entry_days, exit_days from intermediate.cohort_time_axes "
            "where index_rule = 'advanced_diagnosis'"
        ).fetchall()
    )
    assert axes[_pid("P01")] == (50, 50 + round(12.5 * 30.4375))
    assert axes[_pid("P10")] == (100, 100 + round(20.0 * 30.4375))
    assert axes[_pid("P02")] == (90, 90 + round(30.0 * 30.4375))
    con.close()


def test_forced_diagnosis_origin_without_dates_removes_patients_at_a_counted_step(
    tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    study = write_study(tmp_path / "study", timeline=True)
    summary = convert_cbioportal_study(study, tmp_path / "delivery", time_origin="diagnosis")
    assert summary.time_origin_applied == "diagnosis"
    assert "11 of 13 patients with a solid tumour have no timeline diagnosis date" in summary.time_axis_statement
    con = build_warehouse(tmp_path / "delivery", cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    in_window = con.execute(
        "select sum(patients_remaining) from marts.attrition where step = 'advanced_in_window'"
    ).fetchone()
    assert in_window == (2,)  # only P01 and P10 have a diagnosis date on their timeline
    con.close()


def test_quality_checks_pass_on_the_converted_delivery(
    converted: tuple[Path, ConversionSummary], tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    from rwe_cohorts.core.contracts import load_contracts
    from rwe_cohorts.core.warehouse import CONTRACTS_ROOT
    from rwe_cohorts.quality import GXContext, genomic_checks, validate_relations

    folder, _ = converted
    con = build_warehouse(folder, cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    gx = GXContext.ephemeral()
    outcomes = []
    for layer in ("raw", "staging"):
        contracts = load_contracts(CONTRACTS_ROOT, layer).values()
        for v in validate_relations(con, contracts, run_id="t", data_cut_id="t", context=gx):
            outcomes += v.results
    outcomes += genomic_checks(con, exposure_genes=cbio_spec.exposure.genes, context=gx)
    errors = [f"{o.relation} {o.rule}: {o.example_keys}" for o in outcomes if not o.passed and o.severity == "error"]
    assert errors == []
    con.close()


def test_manifest_source_block_crosswalk_and_determinism(
    converted: tuple[Path, ConversionSummary], tmp_path: Path
) -> None:
    folder, summary = converted
    source = read_source_summary(folder)
    assert source is not None and source["fusion_strictness"] == "named_partner"
    assert source["time_axis_statement"] == summary.time_axis_statement
    assert json.loads((folder / "source" / "conversion.json").read_text()) == source
    assert summary.data_cut_id == f"cbioportal_{STUDY_ID}_{summary.data_cut_date}"
    import pyarrow.parquet as pq

    crosswalk = pq.read_table(folder / "source" / "crosswalk.parquet").to_pylist()
    assert {r["source_sample_id"]: r["ntrk_status"] for r in crosswalk}["S10A"] == "unknown"
    events = pq.read_table(folder / "source" / "sv_events.parquet").to_pylist()
    assert {(e["source_sample_id"], e["kind"]) for e in events} >= {("S03", "intragenic"), ("S04", "antisense")}
    again = convert_cbioportal_study(tmp_path / "study", tmp_path / "again")
    manifest = lambda f: json.loads((f / "manifest.json").read_text())["tables"]  # noqa: E731
    assert manifest(folder) == manifest(tmp_path / "again")
    assert again.counts == summary.counts


def test_data_cut_and_output_folder_are_checked(converted: tuple[Path, ConversionSummary], tmp_path: Path) -> None:
    folder, summary = converted
    latest = dt.date.fromisoformat(summary.data_cut_date)
    with pytest.raises(CbioportalStudyError) as err:
        convert_cbioportal_study(tmp_path / "study", folder, data_cut_date=latest - dt.timedelta(days=1))
    assert any("before the last synthesised date" in p for p in err.value.problems)
    assert any("output folder exists and is not empty" in p for p in err.value.problems)
    later = convert_cbioportal_study(tmp_path / "study", tmp_path / "later", data_cut_date=dt.date(2010, 1, 1))
    assert read_delivery(tmp_path / "later").data_cut_date == dt.date(2010, 1, 1)
    assert later.data_cut_id.endswith("2010-01-01")


def test_spec_drives_the_conversion(cbio_spec: StudySpec, spec: StudySpec) -> None:
    assert conversion_options(cbio_spec) == {
        "strictness": "named_partner",
        "time_origin": "auto",
        "anchor_date": dt.date(2000, 1, 1),
        "days_per_month": 30.4375,
        "death_day_of_month": 15,
        "require_age": True,
    }
    with pytest.raises(ValueError, match="not 'cbioportal'"):
        conversion_options(spec)


def test_messy_cases_are_counted_and_noted(
    converted: tuple[Path, ConversionSummary], tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    folder, summary = converted
    counts = summary.counts
    assert counts["patients_in_study"] == 16 and counts["patients_delivered"] == 14
    assert counts["samples_in_study"] == 17 and counts["samples_delivered"] == 15
    assert counts["patients_without_samples"] == 1  # P15
    assert counts["patients_without_age"] == 1  # P12: the spec needs an age (min age, PS), so it cannot be delivered
    assert counts["patients_age_sequencing"] == 14
    assert counts["patients_without_survival"] == 3  # P09 (NA), P13 (DECEASED, no months), P14 (no patient row)
    assert counts["patients_deceased_without_months"] == 1
    assert counts["patients_not_solid_tumour"] == 1 and counts["patients_multiple_samples"] == 1
    assert counts["patients_cancer_type_discordant"] == 1 and counts["samples_other_cancer_type"] == 1  # P16
    notes = "\n".join(summary.notes)
    assert "MY_CUSTOM_FIELD" in notes and "padded" in notes and "P14" in notes
    con = build_warehouse(folder, cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    baseline = {
        pid: (sex, age)
        for pid, sex, age in con.execute(
            "select patient_id, sex, age_at_index_years from intermediate.patient_baseline"
        ).fetchall()
    }
    sex, age = baseline[_pid("P06")]
    assert sex == "male" and abs(age - 90) <= 0.5  # ">89" (de-identified) is taken as 90
    sex, age = baseline[_pid("P02")]
    assert sex == "male" and abs(age - 63.5) <= 0.5  # ages keep a birth year only: within half a year
    assert baseline[_pid("P07")][0] == "female"  # "female" in lower case
    deaths = dict(con.execute("select patient_id, death_month from raw.mortality").fetchall())
    assert set(deaths) == {_pid(p) for p in ("P01", "P03", "P05", "P08", "P10")}  # P05: plain "DECEASED"
    con.close()


def test_landing_a_study_for_a_spec(tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]) -> None:
    study = write_study(tmp_path / "study", layout="sv_old")
    landing = tmp_path / "landing"
    summary = land_cbioportal_study(study, landing, cbio_spec)
    delivery = read_delivery(landing / summary.data_cut_id)
    assert delivery.data_cut_id == summary.data_cut_id and summary.delivery_folder == summary.data_cut_id
    verify_delivery(delivery, raw_contracts)
    assert "entry is 0 for every patient: the study has no timeline files" in summary.time_axis_statement
    assert [p.name for p in landing.iterdir()] == [summary.data_cut_id]  # no temporary folder left behind
    with pytest.raises(CbioportalStudyError, match="output folder exists"):
        land_cbioportal_study(study, landing, cbio_spec)


def test_matching_and_survival_run_unchanged_on_a_converted_study(
    tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    from cbioportal_folders import write_random_study

    from rwe_cohorts.core.warehouse import read_frame
    from rwe_cohorts.matching.study import run_matching
    from rwe_cohorts.survival.study import run_survival

    convert_cbioportal_study(write_random_study(tmp_path / "study"), tmp_path / "delivery")
    con = build_warehouse(tmp_path / "delivery", cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    cohort = read_frame(con, "marts.analytic_cohort")
    axes = read_frame(con, "intermediate.cohort_time_axes")
    matched = run_matching(cohort, cbio_spec)
    exposed = cohort.filter(cohort["is_exposed"]).height
    assert exposed >= 10
    sets = matched.matched_cohort.group_by("match_set_id").agg(
        pl.col("cancer_type").n_unique().alias("types"), pl.len().alias("size")
    )
    assert sets.height == exposed  # every NTRK+ patient has a matched set, exact on cancer type
    assert sets["types"].max() == 1 and sets["size"].max() == 1 + cbio_spec.matching.ratio
    survival = run_survival(
        cbio_spec, cohort=cohort, time_axes=axes, matched=matched.matched_cohort, scores=matched.fit.scores
    )
    assert survival.primary_km is not None
    con.close()


def test_ps_fit_converges_with_one_patient_of_unknown_sex(
    tmp_path: Path, cbio_spec: StudySpec, raw_contracts: dict[str, Contract]
) -> None:
    import warnings

    from cbioportal_folders import write_random_study

    from rwe_cohorts.core.warehouse import read_frame
    from rwe_cohorts.matching.study import run_matching

    convert_cbioportal_study(write_random_study(tmp_path / "study", unknown_sex=1), tmp_path / "delivery")
    con = build_warehouse(tmp_path / "delivery", cbio_spec, raw_contracts, tmp_path / "w.duckdb")
    cohort = read_frame(con, "marts.analytic_cohort")
    con.close()
    assert cohort.filter(cohort["sex"].is_null()).height == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", PropensityModelWarning)
        matched = run_matching(cohort, cbio_spec)
    assert matched.fit.converged
