"""Cohort construction: the intermediate derivations and the analytic cohort, one asset per SQL model."""

import dagster as dg

from pipelines.common import describe, key, sql_dependencies, table_metadata
from pipelines.common_io import preview
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.cohort.models import COHORT_MARTS, INTERMEDIATE_MODELS, sql_parameters
from rwe_cohorts.core.warehouse import model_path


def data_cut(study: StudyResource) -> tuple[str, object]:
    with study.connect() as con:
        row = con.execute("select data_cut_id, data_cut_date from raw.load_log limit 1").fetchone()
    if row is None:
        raise RuntimeError("raw.load_log is empty: no delivery has been landed")
    return str(row[0]), row[1]


# Aggregate marts shown in the Dagster UI as a markdown table (columns, count columns to suppress).
PREVIEWS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "marts.attrition": (
        ("step_order", "step", "arm", "patients_remaining", "patients_removed"),
        ("patients_remaining", "patients_removed"),
    ),
    "marts.baseline_characteristics": (
        ("covariate", "level", "n_exposed", "n_comparator", "smd"),
        ("n_exposed", "n_comparator"),
    ),
}


def sql_asset(relation: str, group: str) -> dg.AssetsDefinition:
    """An asset that materializes ``sql/<schema>/<table>.sql`` with the study spec's values bound as parameters."""
    deps = sql_dependencies(model_path(relation).read_text(), relation)

    @dg.asset(
        key=key(relation),
        deps=[key(d) for d in deps],
        group_name=group,
        partitions_def=data_cuts,
        description=f"{describe(relation)} Built by sql/{relation.replace('.', '/')}.sql.",
        kinds={"duckdb", "sql"},
    )
    def _asset(study: StudyResource) -> dg.MaterializeResult:
        spec = study.spec()
        cut_id, cut_date = data_cut(study)
        engine = study.engine()
        info = engine.materialize(relation, sql_parameters(spec, cut_date))  # type: ignore[arg-type]
        extra = {}
        if relation in PREVIEWS:
            columns, counts = PREVIEWS[relation]
            frame = engine.read_frame(relation, columns)
            extra["preview"] = preview(frame, counts=counts, min_cell=spec.privacy.min_cell_count)
        return dg.MaterializeResult(
            metadata=table_metadata(info, data_cut_id=cut_id, spec_hash=spec.spec_hash, **extra)
        )

    return _asset


cohort_assets = [sql_asset(r, "cohort") for r in (*INTERMEDIATE_MODELS, *COHORT_MARTS)]


attrition = sql_asset("marts.attrition", "cohort")
