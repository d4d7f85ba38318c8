"""Ingest: the data cut's delivery lands in ``raw`` (one transaction), then ``staging``."""

from pathlib import Path

import dagster as dg

from pipelines.common import describe, explain_failures, key, retry_transient_io, sql_dependencies, table_metadata
from pipelines.partitions import data_cuts
from pipelines.resources import StudyResource
from rwe_cohorts.core.warehouse import model_path
from rwe_cohorts.ingest.staging import RAW_TABLES, STAGING_MODELS
from rwe_cohorts.ingest.study import land_data_cut


@dg.multi_asset(
    specs=[
        dg.AssetSpec(key(r), group_name="ingest", description=describe(r), kinds={"parquet", "duckdb"})
        for r in (*(f"raw.{t}" for t in RAW_TABLES), "raw.load_log")
    ],
    can_subset=False,
    partitions_def=data_cuts,
)
def raw_tables(context: dg.AssetExecutionContext, study: StudyResource):  # type: ignore[no-untyped-def]
    """Find the data cut's delivery folder, verify it (manifest checksums, row counts, columns, types) and replace
    every raw table at once."""
    engine = study.engine()
    spark_tables = getattr(engine, "tables", None)  # the Spark engine's warehouse: raw lands there
    with explain_failures(), retry_transient_io(context), study.connect() as con:
        delivery = land_data_cut(
            con, Path(study.landing_dir), study.data_cut, run_id=context.run.run_id, spark_tables=spark_tables
        )
    infos = {t: engine.table_info(f"raw.{t}") for t in (*RAW_TABLES, "load_log")}
    context.log.info(f"landed data cut {delivery.data_cut_id} from {delivery.folder.name}")
    for t, info in infos.items():
        yield dg.MaterializeResult(
            asset_key=key(f"raw.{t}"),
            metadata=table_metadata(info, data_cut_id=delivery.data_cut_id, delivery=delivery.folder.name),
        )


def _staging_spec(relation: str) -> dg.AssetSpec:
    deps = sql_dependencies(model_path(relation).read_text(), relation)
    return dg.AssetSpec(
        key(relation),
        deps=[key(d) for d in deps],
        group_name="ingest",
        description=f"{describe(relation)} Renamed, cast and normalised by sql/{relation.replace('.', '/')}.sql.",
        kinds={"duckdb", "sql"},
    )


@dg.multi_asset(specs=[_staging_spec(r) for r in STAGING_MODELS], can_subset=True, partitions_def=data_cuts)
def staging_models(context: dg.AssetExecutionContext, study: StudyResource):  # type: ignore[no-untyped-def]
    """Every staging model in one step (each takes a fraction of a second, less than Dagster's cost per step); each
    table stays its own asset. A subset runs only the selected models."""
    selected = context.selected_asset_keys
    engine = study.engine()
    for relation in STAGING_MODELS:
        if key(relation) in selected:
            info = engine.materialize(relation)
            yield dg.MaterializeResult(asset_key=key(relation), metadata=table_metadata(info))


staging_assets = [staging_models]
