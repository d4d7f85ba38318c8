"""The raw tables a delivery holds and the staging SQL models built from them (``sql/staging``, one per raw table:
renamed, cast, normalised), in the order the ingest stage builds them."""

RAW_TABLES = (
    "demographics",
    "practice",
    "cancer_diagnosis",
    "genomic_reports",
    "panel_genes",
    "genomic_alterations",
    "lines_of_therapy",
    "visits",
    "ecog",
    "diagnosis_codes",
    "mortality",
)
STAGING_MODELS = tuple(f"staging.{t}" for t in RAW_TABLES)
