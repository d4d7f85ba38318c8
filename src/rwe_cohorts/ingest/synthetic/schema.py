"""Delivered table schemas: column names, order and types exactly as in ``data_contracts/raw/*.yaml``.

The contracts are the source of truth; ``tests/unit/test_synth.py`` checks this module against them.
"""

from __future__ import annotations

import pyarrow as pa

ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "DATE": pa.date32(),
    "BOOLEAN": pa.bool_(),
}

TABLE_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "demographics": (
        ("patient_id", "VARCHAR"),
        ("birth_year", "INTEGER"),
        ("gender", "VARCHAR"),
        ("race", "VARCHAR"),
        ("ethnicity", "VARCHAR"),
        ("state", "VARCHAR"),
    ),
    "practice": (("patient_id", "VARCHAR"), ("practice_id", "VARCHAR"), ("practice_type", "VARCHAR")),
    "cancer_diagnosis": (
        ("patient_id", "VARCHAR"),
        ("cancer_type", "VARCHAR"),
        ("diagnosis_date", "DATE"),
        ("group_stage", "VARCHAR"),
        ("advanced_diagnosis_date", "DATE"),
        ("histology", "VARCHAR"),
        ("smoking_status", "VARCHAR"),
    ),
    "genomic_reports": (
        ("report_id", "VARCHAR"),
        ("patient_id", "VARCHAR"),
        ("sample_id", "VARCHAR"),
        ("specimen_collected_date", "DATE"),
        ("report_date", "DATE"),
        ("assay", "VARCHAR"),
        ("panel_version", "VARCHAR"),
        ("specimen_type", "VARCHAR"),
        ("sample_type", "VARCHAR"),
    ),
    "panel_genes": (("panel_version", "VARCHAR"), ("gene", "VARCHAR"), ("is_rearrangement_baited", "BOOLEAN")),
    "genomic_alterations": (
        ("alteration_id", "VARCHAR"),
        ("report_id", "VARCHAR"),
        ("gene", "VARCHAR"),
        ("alteration_type", "VARCHAR"),
        ("alteration_detail", "VARCHAR"),
        ("fusion_partner", "VARCHAR"),
        ("is_functional", "BOOLEAN"),
    ),
    "lines_of_therapy": (
        ("patient_id", "VARCHAR"),
        ("line_number", "INTEGER"),
        ("line_name", "VARCHAR"),
        ("start_date", "DATE"),
        ("end_date", "DATE"),
        ("is_maintenance", "BOOLEAN"),
    ),
    "visits": (
        ("visit_id", "VARCHAR"),
        ("patient_id", "VARCHAR"),
        ("visit_date", "DATE"),
        ("visit_type", "VARCHAR"),
    ),
    "ecog": (("patient_id", "VARCHAR"), ("ecog_date", "DATE"), ("ecog_value", "INTEGER")),
    "diagnosis_codes": (
        ("patient_id", "VARCHAR"),
        ("diagnosis_date", "DATE"),
        ("code_system", "VARCHAR"),
        ("diagnosis_code", "VARCHAR"),
    ),
    "mortality": (("patient_id", "VARCHAR"), ("death_month", "VARCHAR")),
}
TABLES: tuple[str, ...] = tuple(TABLE_COLUMNS)

TRUTH_SCHEMA = pa.schema(
    [
        ("patient_id", pa.string()),
        ("true_death_date", pa.date32()),
        ("is_death_captured", pa.bool_()),
        ("is_ntrk_positive", pa.bool_()),
        ("ntrk_gene", pa.string()),
        ("fusion_partner", pa.string()),
        ("driver_gene", pa.string()),
        ("cancer_type", pa.string()),
        ("is_advanced", pa.bool_()),
        ("advanced_diagnosis_date", pa.date32()),
        ("age_at_advanced_years", pa.float64()),
        ("ecog_baseline", pa.int32()),
        ("is_smoker", pa.bool_()),
        ("is_de_novo", pa.bool_()),
        ("first_report_date", pa.date32()),
        ("entry_delay_months", pa.float64()),
        ("last_activity_date", pa.date32()),
        ("is_left_network", pa.bool_()),
        ("linear_predictor", pa.float64()),
    ]
)


def arrow_schema(table: str, overrides: dict[str, str] | None = None) -> pa.Schema:
    """Arrow schema of a delivered table; ``overrides`` maps a column to another contract type (wrong_type)."""
    types = dict(TABLE_COLUMNS[table])
    types.update(overrides or {})
    return pa.schema([(name, ARROW_TYPES[types[name]]) for name, _ in TABLE_COLUMNS[table]])
