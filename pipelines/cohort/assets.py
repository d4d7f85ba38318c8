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


def _materialize(study: StudyResource, relation: str) -> dg.MaterializeResult:
    """Build one SQL model with the study spec's values bound and describe the table it wrote."""
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
        asset_key=key(relation),
        metadata=table_metadata(info, data_cut_id=cut_id, spec_hash=spec.spec_hash, **extra),
    )


def _spec(relation: str, group: str) -> dg.AssetSpec:
    deps = sql_dependencies(model_path(relation).read_text(), relation)
    return dg.AssetSpec(
        key(relation),
        deps=[key(d) for d in deps],
        group_name=group,
        description=f"{describe(relation)} Built by sql/{relation.replace('.', '/')}.sql.",
        kinds={"duckdb", "sql"},
    )


def sql_asset(relation: str, group: str) -> dg.AssetsDefinition:
    """An asset that materializes ``sql/<schema>/<table>.sql`` with the study spec's values bound as parameters."""

    @dg.multi_asset(specs=[_spec(relation, group)], name=relation.replace(".", "__"), partitions_def=data_cuts)
    def _asset(study: StudyResource) -> dg.MaterializeResult:
        return _materialize(study, relation)

    return _asset


def sql_layer(name: str, relations: tuple[str, ...], group: str) -> dg.AssetsDefinition:
    """One step for several SQL models (Dagster's per-step cost dominates models that take a fraction of a second):
    a multi-asset with one spec per table, so each table keeps its own asset key, lineage, metadata and checks. The
    models run in the order given (dependency order); a subset runs only the selected ones."""

    @dg.multi_asset(specs=[_spec(r, group) for r in relations], name=name, can_subset=True, partitions_def=data_cuts)
    def _layer(context: dg.AssetExecutionContext, study: StudyResource):  # type: ignore[no-untyped-def]
        selected = context.selected_asset_keys
        for relation in relations:
            if key(relation) in selected:
                yield _materialize(study, relation)

    return _layer


# The analytic cohort's blocking invariants check runs between the two steps: Table 1 is built only on a cohort
# that passed it.
cohort_assets = [
    sql_layer("cohort_models", (*INTERMEDIATE_MODELS, "marts.analytic_cohort"), "cohort"),
    sql_layer("table_one_models", tuple(r for r in COHORT_MARTS if r != "marts.analytic_cohort"), "cohort"),
]


attrition = sql_asset("marts.attrition", "cohort")
