"""Synthetic CGDB generator: determinism, contract conformance, calibration, defects, planted-HR recovery."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from rwe_cohorts.ingest.synthetic import DEFECTS, DeliveryExistsError, generate_delivery, read_manifest
from rwe_cohorts.ingest.synthetic.defects import UnknownDefectError
from rwe_cohorts.ingest.synthetic.schema import TABLES

CONTRACTS = Path(__file__).resolve().parents[2] / "data_contracts" / "raw"
DUCK_TYPES = {"VARCHAR": "VARCHAR", "INTEGER": "INTEGER", "DATE": "DATE", "BOOLEAN": "BOOLEAN"}
ARROW_TYPES = {"VARCHAR": "string", "INTEGER": "int32", "DATE": "date32[day]", "BOOLEAN": "bool"}
TRK_INHIBITORS = ("larotrectinib", "entrectinib")
DRIVERS = ("KRAS", "EGFR", "ALK", "ROS1", "BRAF", "ERBB2", "MET", "RET")
SMALL_N = 12_000
PUBLISHED_NTRK_NEGATIVE = 24_903


def _contracts() -> dict[str, dict[str, Any]]:
    """Contracts of the delivered tables (raw tables written by the loader itself, e.g. load_log, are not)."""
    return {table: yaml.safe_load((CONTRACTS / f"{table}.yaml").read_text()) for table in TABLES}


def _connect(delivery: Path) -> duckdb.DuckDBPyConnection:
    """Tables as views in ``raw`` (as the contracts' rules name them) and in the default schema, plus ``load_log``."""
    con = duckdb.connect()
    con.execute("create schema raw")
    for table in TABLES:
        source = f"read_parquet('{delivery / (table + '.parquet')}')"
        con.execute(f"create view raw.{table} as select * from {source}")
        con.execute(f"create view {table} as select * from raw.{table}")
    cut = read_manifest(delivery).data_cut_date
    con.execute("create table raw.load_log as select ?::varchar as data_cut_id, ?::date as data_cut_date", [cut, cut])
    return con


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small") / "delivery"
    generate_delivery(out, n_patients=SMALL_N, seed=11)
    return out


@pytest.fixture(scope="module")
def default_delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("default") / "delivery"
    generate_delivery(out)
    return out


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("defects") / "delivery"
    generate_delivery(out, n_patients=5_000, seed=5, defects={name: 0.002 for name in DEFECTS})
    return out


# --- determinism -----------------------------------------------------------------------------------------------


def _file_bytes(delivery: Path) -> dict[str, bytes]:
    return {str(p.relative_to(delivery)): p.read_bytes() for p in sorted(delivery.rglob("*")) if p.is_file()}


def test_same_arguments_give_identical_bytes_whatever_the_chunk_size(tmp_path: Path, small: Path) -> None:
    again = tmp_path / "again"
    generate_delivery(again, n_patients=SMALL_N, seed=11, chunk_size=3_000)
    assert _file_bytes(again) == _file_bytes(small)
    assert read_manifest(again) == read_manifest(small)


def test_another_seed_gives_other_data(tmp_path: Path, small: Path) -> None:
    other = tmp_path / "other"
    generate_delivery(other, n_patients=SMALL_N, seed=12)
    assert (other / "demographics.parquet").read_bytes() != (small / "demographics.parquet").read_bytes()


def test_an_existing_delivery_is_never_overwritten(small: Path) -> None:
    with pytest.raises(DeliveryExistsError):
        generate_delivery(small, n_patients=10)


def test_unknown_defect_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownDefectError, match="no_such_defect"):
        generate_delivery(tmp_path / "x", n_patients=10, defects={"no_such_defect": 0.1})


def test_progress_is_reported_per_chunk(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    generate_delivery(tmp_path / "p", n_patients=25_000, chunk_size=10_000, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(10_000, 25_000), (20_000, 25_000), (25_000, 25_000)]


def test_informative_entry_is_planted_in_the_hazard(tmp_path: Path) -> None:
    slopes = {}
    for strength in (0.0, 0.05):
        out = tmp_path / f"ie{strength}"
        manifest = generate_delivery(out, n_patients=5_000, seed=9, informative_entry=strength)
        assert manifest.generator.informative_entry == strength
        assert json.loads((out / "truth" / "truth.json").read_text())["informative_entry"] == strength
        truth = pd.read_parquet(out / "truth" / "patient_truth.parquet")
        advanced = truth[truth["is_advanced"]]
        slopes[strength] = np.polyfit(advanced["entry_delay_months"], advanced["linear_predictor"], 1)[0]
    assert slopes[0.05] - slopes[0.0] == pytest.approx(0.05, abs=0.01)


# --- manifest and contracts ------------------------------------------------------------------------------------


def test_manifest_lists_every_contract_table_with_hash_rows_and_columns(small: Path) -> None:
    manifest = read_manifest(small)
    doc = json.loads((small / "manifest.json").read_text())
    assert list(doc) == ["schema_version", "data_cut_id", "data_cut_date", "generator", "tables", "defects_injected"]
    assert (doc["schema_version"], doc["data_cut_date"], doc["data_cut_id"]) == ("1.0", "2021-03-31", "2021-03-31")
    assert doc["generator"]["name"] == "rwe_cohorts.synth" and doc["generator"]["seed"] == 11
    contracts = _contracts()
    assert sorted(t.table for t in manifest.tables) == sorted(contracts)
    for entry in manifest.tables:
        path = small / entry.file
        assert entry.file == f"{entry.table}.parquet"
        assert entry.rows == pq.ParquetFile(path).metadata.num_rows > 0
        assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        expected = [(c["name"], c["type"]) for c in contracts[entry.table]["columns"]]
        assert [(c.name, c.type) for c in entry.columns] == expected
    assert manifest.defects_injected == ()
    assert manifest.to_json() == doc
    assert (small / "truth" / "truth.json").exists() and (small / "truth" / "patient_truth.parquet").exists()
    assert all("truth" not in t.file for t in manifest.tables)


@pytest.mark.parametrize("table", TABLES)
def test_clean_delivery_meets_its_contract(small: Path, table: str) -> None:
    contract = _contracts()[table]
    schema = pq.read_schema(small / f"{table}.parquet")
    columns = contract["columns"]
    assert schema.names == [c["name"] for c in columns]
    assert [str(schema.field(c["name"]).type) for c in columns] == [ARROW_TYPES[c["type"]] for c in columns]
    con = _connect(small)
    described = con.execute(f"describe {table}").fetchall()
    assert [(r[0], r[1]) for r in described] == [(c["name"], DUCK_TYPES[c["type"]]) for c in columns]
    for c in columns:
        name = c["name"]
        problems = []
        if not c.get("nullable", True):
            problems.append(f"{name} is null")
        if "pattern" in c:
            problems.append(f"not regexp_full_match({name}, '{c['pattern'].strip('^$')}')")
        if "accepted_values" in c:
            values = ", ".join("'" + v.replace("'", "''") + "'" for v in c["accepted_values"])
            problems.append(f"{name} not in ({values})")
        if "min" in c:
            problems.append(f"{name} < {c['min']}")
        if "max" in c:
            problems.append(f"{name} > {c['max']}")
        for condition in problems:
            bad = con.execute(f"select count(*) from {table} where {condition}").fetchone()
            assert bad == (0,), f"{table}: {condition}"
    keys = ", ".join(contract["primary_key"])
    dupes = con.execute(f"select count(*) from (select {keys} from {table} group by all having count(*) > 1)")
    assert dupes.fetchone() == (0,)
    for fk in contract.get("foreign_keys", []):
        ref = fk["references"].split(".")[-1]
        on = " and ".join(f"t.{a} = r.{b}" for a, b in zip(fk["columns"], fk["ref_columns"], strict=True))
        sql = f"select count(*) from {table} t where not exists (select 1 from {ref} r where {on})"
        assert con.execute(sql).fetchone() == (0,), f"{table}: {fk}"
    for rule in contract.get("rules", []):
        failing = con.execute(f"select count(*) from raw.{table} t where not ({rule['expect']})").fetchone()
        assert failing == (0,), rule


def test_clinical_timelines_are_consistent(small: Path) -> None:
    con = _connect(small)
    checks = {
        "alteration gene off the report's panel": """
            select count(*) from genomic_alterations a join genomic_reports r using (report_id)
            where not exists (
                select 1 from panel_genes g where g.panel_version = r.panel_version and g.gene = a.gene)""",
        "line starting after a captured death month": """
            select count(*) from lines_of_therapy l join mortality m using (patient_id)
            where strftime(l.start_date, '%Y-%m') > m.death_month""",
        "lines out of order": """
            select count(*) from lines_of_therapy a join lines_of_therapy b
              on a.patient_id = b.patient_id and b.line_number = a.line_number + 1
            where b.start_date < a.start_date or b.start_date < coalesce(a.end_date, a.start_date)""",
        "line before the advanced diagnosis": """
            select count(*) from lines_of_therapy l join cancer_diagnosis c using (patient_id)
            where c.advanced_diagnosis_date is null or l.start_date < c.advanced_diagnosis_date""",
        "report after the data cut": "select count(*) from genomic_reports where report_date > date '2021-03-31'",
        "visit after a captured death month": """
            select count(*) from visits v join mortality m using (patient_id)
            where strftime(v.visit_date, '%Y-%m') > m.death_month""",
        "ICD-9 after October 2015 or ICD-10 before": """
            select count(*) from diagnosis_codes where (code_system = 'ICD-9-CM') <> (diagnosis_date < '2015-10-01')""",
    }
    for what, sql in checks.items():
        assert con.execute(sql).fetchone() == (0,), what
    share_with_brain = con.execute(
        "select avg((patient_id in (select patient_id from diagnosis_codes "
        "where diagnosis_code in ('C79.31', '198.3')))::int) from cancer_diagnosis"
    ).fetchone()
    assert share_with_brain is not None and 0.02 < share_with_brain[0] < 0.2
    older = con.execute(
        "select bool_or(gene = 'NTRK3' and is_rearrangement_baited), "
        "bool_or(gene = 'NTRK1' and is_rearrangement_baited) from panel_genes where panel_version = 'T5a'"
    ).fetchone()
    assert older == (False, True)


# --- calibration on the default delivery -----------------------------------------------------------------------


def _study_frame(delivery: Path) -> pd.DataFrame:
    """Patients with the study's variables: eligibility, NTRK status (observed), entry and outcome in months."""
    con = _connect(delivery)
    trk = " or ".join(f"line_name like '%{d}%'" for d in TRK_INHIBITORS)
    drivers = ", ".join(f"'{g}'" for g in DRIVERS)
    frame: pd.DataFrame = con.execute(f"""
        with rep as (select patient_id, min(report_date) as first_report from genomic_reports group by 1),
        genes as (
            select r.patient_id,
                   bool_or(a.gene in ('NTRK1', 'NTRK2', 'NTRK3') and a.alteration_type = 'rearrangement') as ntrk,
                   bool_or(a.gene in ({drivers}) and a.is_functional) as has_driver
            from genomic_alterations a join genomic_reports r using (report_id) group by 1),
        trk as (select distinct patient_id from lines_of_therapy where {trk}),
        activity as (
            select patient_id, max(d) as last_activity from (
                select patient_id, visit_date as d from visits
                union all select patient_id, coalesce(end_date, start_date) from lines_of_therapy
                union all select patient_id, report_date from genomic_reports) group by 1)
        select c.patient_id, c.advanced_diagnosis_date as index_date, rep.first_report,
               coalesce(genes.ntrk, false) as ntrk, coalesce(genes.has_driver, false) as has_driver,
               trk.patient_id is not null as trk_treated,
               c.advanced_diagnosis_date is not null
                 and year(c.advanced_diagnosis_date) - d.birth_year >= 18
                 and c.advanced_diagnosis_date between date '2011-01-01' and date '2019-12-31'
                 and trk.patient_id is null and rep.first_report is not null as eligible,
               cast(m.death_month || '-15' as date) as death_date, activity.last_activity
        from cancer_diagnosis c join demographics d using (patient_id) left join rep using (patient_id)
        left join genes using (patient_id) left join trk using (patient_id) left join mortality m using (patient_id)
        left join activity using (patient_id)
        """).df()
    days = 30.4375
    index = pd.to_datetime(frame["index_date"])
    end = pd.to_datetime(frame["death_date"]).fillna(pd.to_datetime(frame["last_activity"]))
    frame["entry_months"] = ((pd.to_datetime(frame["first_report"]) - index).dt.days / days).clip(lower=0)
    frame["time_months"] = np.maximum((end - index).dt.days / days, frame["entry_months"] + 1e-3)
    frame["event"] = frame["death_date"].notna()
    return frame


def test_default_delivery_reproduces_the_study_calibration(default_delivery: Path) -> None:
    from lifelines import KaplanMeierFitter

    frame = _study_frame(default_delivery)
    eligible = frame[frame["eligible"]]
    positive, negative = eligible[eligible["ntrk"]], eligible[~eligible["ntrk"]]
    assert len(frame) == 58_001
    assert 20 <= len(positive) <= 40
    assert abs(len(negative) - PUBLISHED_NTRK_NEGATIVE) <= 0.15 * PUBLISHED_NTRK_NEGATIVE
    assert 0.001 <= frame["ntrk"].mean() <= 0.003
    assert positive["has_driver"].mean() <= 0.15
    assert (frame["ntrk"] & frame["trk_treated"]).sum() >= 1, "the TRK-inhibitor exclusion must bite"
    # Sequenced by the advanced diagnosis (entry at t = 0): about half of NTRK+ patients (diagnostic sequencing of
    # fusion-defined histologies), few NTRK- (published at risk at t = 0: 13 of 28 NTRK+, 19 of 280 matched NTRK-).
    assert 0.02 <= (negative["entry_months"] == 0).mean() <= 0.08
    assert 0.25 <= (positive["entry_months"] == 0).mean() <= 0.75
    for arm in (positive, negative):
        delayed = KaplanMeierFitter().fit(arm["time_months"], arm["event"], entry=arm["entry_months"])
        assert 7.0 <= delayed.median_survival_time_ <= 14.0
    naive = KaplanMeierFitter().fit(negative["time_months"], negative["event"])
    delayed = KaplanMeierFitter().fit(negative["time_months"], negative["event"], entry=negative["entry_months"])
    # Most NTRK- patients are sequenced within about 3 months of the advanced diagnosis (the published at-risk rows:
    # 19 at t = 0, 110 at 3 months), so ignoring the entry overstates their median by about a month here.
    assert naive.median_survival_time_ > delayed.median_survival_time_ + 1.0, "left truncation must matter"

    truth = pd.read_parquet(default_delivery / "truth" / "patient_truth.parquet")
    dead = truth["true_death_date"].notna()
    assert 0.07 <= 1 - truth.loc[dead, "is_death_captured"].mean() <= 0.13
    doc = json.loads((default_delivery / "truth" / "truth.json").read_text())
    assert doc["planted_hazard_ratio"] == 1.6
    assert 0.001 <= doc["ntrk_prevalence"] <= 0.003


# --- defects ---------------------------------------------------------------------------------------------------

VIOLATIONS = {
    "duplicate_keys": "select count(*) from (select patient_id from demographics group by 1 having count(*) > 1)",
    "orphan_rows": "select count(*) from visits where patient_id not in (select patient_id from demographics)",
    "death_before_birth": """select count(*) from mortality m join (select distinct on (patient_id) * from demographics)
        d using (patient_id) where cast(left(m.death_month, 4) as integer) < try_cast(d.birth_year as integer)""",
    "advanced_before_initial": "select count(*) from cancer_diagnosis where advanced_diagnosis_date < diagnosis_date",
    "report_after_cut": "select count(*) from genomic_reports where report_date > date '2021-03-31'",
    "unknown_gene": "select count(*) from genomic_alterations where gene not in (select gene from panel_genes)",
    "unknown_code": "select count(*) from diagnosis_codes where code_system = 'ICD-10-CM' and not "
    "regexp_full_match(diagnosis_code, '[A-TV-Z][0-9][0-9AB](\\.[0-9A-TV-Z]{1,4})?')",
    "missing_required": "select count(*) from cancer_diagnosis where diagnosis_date is null",
    "wrong_type": "select count(*) from demographics where try_cast(birth_year as integer) is null",
    "line_end_before_start": "select count(*) from lines_of_therapy where end_date < start_date",
}


def test_every_defect_is_registered_and_tested() -> None:
    assert set(DEFECTS) == set(VIOLATIONS)


@pytest.mark.parametrize("defect", sorted(VIOLATIONS))
def test_each_defect_is_recorded_and_breaks_its_rule(defective: Path, defect: str) -> None:
    manifest = read_manifest(defective)
    record = next(r for r in manifest.defects_injected if r.defect == defect)
    assert record.rows >= 1 and 1 <= len(record.example_keys) <= 5
    assert (record.table, record.column) == (DEFECTS[defect].table, DEFECTS[defect].column)
    found = _connect(defective).execute(VIOLATIONS[defect]).fetchone()
    assert found is not None and found[0] >= 1
    if defect in {"orphan_rows", "report_after_cut", "advanced_before_initial", "missing_required"}:
        assert found[0] == record.rows


def test_wrong_type_changes_the_parquet_column_type(defective: Path) -> None:
    assert str(pq.read_schema(defective / "demographics.parquet").field("birth_year").type) == "string"
    columns = {c.name: c.type for c in read_manifest(defective).table("demographics").columns}
    assert columns["birth_year"] == "VARCHAR"
    record = next(r for r in read_manifest(defective).defects_injected if r.defect == "wrong_type")
    assert all(re.fullmatch(r"F[0-9A-F]{12}", key) for key in record.example_keys)


# --- planted hazard ratio --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_cox_with_delayed_entry_recovers_the_planted_hazard_ratio(tmp_path: Path) -> None:
    from lifelines import CoxPHFitter

    out = tmp_path / "big"
    generate_delivery(out, n_patients=500_000, seed=3)
    truth = pd.read_parquet(out / "truth" / "patient_truth.parquet")
    cut = pd.Timestamp("2021-03-31")
    index = pd.to_datetime(truth["advanced_diagnosis_date"])
    keep = truth["is_advanced"] & (index >= "2011-01-01") & (index <= "2019-12-31")
    keep &= truth["age_at_advanced_years"] >= 18
    t = truth[keep].copy()
    index = index[keep]
    death = pd.to_datetime(t["true_death_date"])
    days = 30.4375
    entry = ((pd.to_datetime(t["first_report_date"]) - index).dt.days / days).clip(lower=0)
    frame = pd.DataFrame(
        {
            "time": np.maximum((death.fillna(cut) - index).dt.days / days, entry + 1e-3),
            "event": death.notna().astype(int),
            "entry": entry,
            "ntrk": t["is_ntrk_positive"].astype(int),
            "age": t["age_at_advanced_years"],
            "smoker": t["is_smoker"].astype(int),
            "de_novo": t["is_de_novo"].astype(int),
            "cancer_type": t["cancer_type"],
        }
    )
    for level in range(1, 5):
        frame[f"ecog_{level}"] = (t["ecog_baseline"] == level).astype(int)
    fitter = CoxPHFitter().fit(frame, duration_col="time", event_col="event", entry_col="entry", strata=["cancer_type"])
    hr = float(np.exp(fitter.params_["ntrk"]))
    assert abs(hr / 1.6 - 1) <= 0.10, hr
