"""The planted truth, written beside (never inside) the delivery: ``truth/truth.json`` and ``patient_truth.parquet``.

``patient_truth.parquet`` holds, per patient, the true death date (null when alive at the data cut), whether the
death reached the mortality table, the true NTRK status (gene, partner), the driver and every covariate of the
planted hazard model, so a reader can check what an analysis should recover.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from rwe_cohorts.ingest.synthetic import care_catalog as care
from rwe_cohorts.ingest.synthetic import catalog as cat
from rwe_cohorts.ingest.synthetic import genes as gn
from rwe_cohorts.ingest.synthetic.cohort import Patients
from rwe_cohorts.ingest.synthetic.encode import BoolArray, PatientIds, categorical, date_array
from rwe_cohorts.ingest.synthetic.genomic import GenomicTruth
from rwe_cohorts.ingest.synthetic.schema import TRUTH_SCHEMA

TRUTH_DIR = "truth"
TRUTH_FILE = "truth.json"
PATIENT_TRUTH_FILE = "patient_truth.parquet"


def truth_table(p: Patients, ids: PatientIds, g: GenomicTruth, captured: BoolArray, cut_day: int) -> pa.Table:
    """Per-patient truth of one block."""
    dead = p.is_dead_by(cut_day)
    age = np.where(p.is_advanced, p.age_at_advanced, np.nan)
    return pa.table(
        {
            "patient_id": ids.all(),
            "true_death_date": date_array(p.death_day, dead),
            "is_death_captured": pa.array(captured),
            "is_ntrk_positive": pa.array(p.is_ntrk),
            "ntrk_gene": categorical((*gn.NTRK_GENES, None), np.where(g.ntrk_gene >= 0, g.ntrk_gene, 3)),
            "fusion_partner": pa.array(g.partner, type=pa.string()),
            "driver_gene": categorical((*gn.DRIVER_GENES, None), np.where(g.driver >= 0, g.driver, len(gn.DRIVERS))),
            "cancer_type": categorical(cat.CANCER_NAMES, p.cancer_type),
            "is_advanced": pa.array(p.is_advanced),
            "advanced_diagnosis_date": date_array(p.advanced_day, p.is_advanced),
            "age_at_advanced_years": pa.array(age, mask=~p.is_advanced),
            "ecog_baseline": pa.array(p.ecog.astype(np.int32)),
            "is_smoker": pa.array(p.is_smoker),
            "is_de_novo": pa.array(p.is_de_novo),
            "first_report_date": date_array(p.first_report_day),
            "entry_delay_months": pa.array(p.delay_months),
            "last_activity_date": date_array(p.last_activity_day),
            "is_left_network": pa.array(p.is_leaving),
            "linear_predictor": pa.array(p.linear_predictor),
        },
        schema=TRUTH_SCHEMA,
    )


@dataclass
class TruthTally:
    """Counts accumulated over blocks for ``truth.json``."""

    n_patients: int = 0
    n_ntrk: int = 0
    n_deaths: int = 0
    n_captured: int = 0
    ntrk_by_type: dict[str, int] = field(default_factory=dict)

    def add(self, p: Patients, captured: BoolArray, cut_day: int) -> None:
        self.n_patients += p.n
        self.n_ntrk += int(p.is_ntrk.sum())
        self.n_deaths += int(p.is_dead_by(cut_day).sum())
        self.n_captured += int(captured.sum())
        counts = np.bincount(p.cancer_type[p.is_ntrk], minlength=cat.N_TYPES)
        for name, c in zip(cat.CANCER_NAMES, counts.tolist(), strict=True):
            if c:
                self.ntrk_by_type[name] = self.ntrk_by_type.get(name, 0) + c


def planted_parameters() -> dict[str, Any]:
    """Every generating parameter of the hazard model, selection, NTRK and capture."""
    return {
        "survival_model": "Weibull proportional hazards on months from the advanced diagnosis",
        "weibull_shape": cat.WEIBULL_SHAPE,
        "weibull_scale_months": cat.WEIBULL_SCALE_MONTHS,
        "log_hazard_cancer_type": {c.name: c.log_hazard for c in cat.CANCER_TYPES},
        "log_hazard_age_per_year_above_65": cat.LOG_HAZARD_AGE_PER_YEAR,
        "log_hazard_ecog": list(cat.LOG_HAZARD_ECOG),
        "log_hazard_smoker": cat.LOG_HAZARD_SMOKER,
        "log_hazard_de_novo": cat.LOG_HAZARD_DE_NOVO,
        "informative_entry": "hazard x exp(informative_entry * months from advanced diagnosis to first report)",
        "selection": "alive at the first report and first report at least 14 days before the data cut",
        "p_never_advanced_candidate": cat.P_NEVER_ADVANCED,
        "p_report_before_advanced_recurrent": cat.P_REPORT_BEFORE_ADVANCED,
        "p_report_before_advanced_recurrent_ntrk": cat.P_REPORT_BEFORE_ADVANCED_NTRK,
        "delay_median_days": cat.DELAY_MEDIAN_DAYS,
        "delay_median_days_ntrk": cat.DELAY_MEDIAN_DAYS_NTRK,
        "delay_log_sd": cat.DELAY_LOG_SD,
        "p_leaves_network": cat.P_LEAVES_NETWORK,
        "p_death_captured": cat.P_DEATH_CAPTURED,
        "ntrk_probability_by_type": dict(zip(cat.CANCER_NAMES, cat.ntrk_probabilities().tolist(), strict=True)),
        "ntrk_age_shift_years": cat.NTRK_AGE_SHIFT,
        "ecog_shares": list(cat.ECOG_SHARES),
        "ecog_shares_ntrk": list(cat.ECOG_SHARES_NTRK),
        "ntrk_driver_factor": gn.NTRK_DRIVER_FACTOR,
        "p_blood_detects": gn.P_BLOOD_DETECTS,
        "p_trk_inhibitor": care.P_TRK_INHIBITOR,
        "trk_inhibitors": list(care.TRK_INHIBITORS),
    }


def write_truth_json(
    out_dir: Path, generator: dict[str, Any], tally: TruthTally, hazard_ratio: float, informative_entry: float
) -> Path:
    """Write ``truth/truth.json``."""
    doc = {
        "generator": generator,
        "planted_hazard_ratio": hazard_ratio,
        "planted_log_hazard_ratio": float(np.log(hazard_ratio)),
        "informative_entry": informative_entry,
        "ntrk_true_positive": tally.n_ntrk,
        "ntrk_prevalence": tally.n_ntrk / max(tally.n_patients, 1),
        "ntrk_by_cancer_type": dict(sorted(tally.ntrk_by_type.items())),
        "deaths_by_data_cut": tally.n_deaths,
        "deaths_captured": tally.n_captured,
        "death_capture_share": tally.n_captured / max(tally.n_deaths, 1),
        "parameters": planted_parameters(),
    }
    path = out_dir / TRUTH_DIR / TRUTH_FILE
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return path
