"""Data cuts are partitions: one per delivery folder in the landing area, keyed by the manifest's data cut id.

They are dynamic: the landing sensor (``pipelines/ingest/sensors.py``) and ``rwe run`` register a data cut when its
delivery is complete. Every asset and every asset check of the study is partitioned by data cut, so each cut has its
own warehouse file, report, published rows and check outcomes, and a failure in one cut never blocks another or
shows on another's page.
"""

import warnings

import dagster as dg

DATA_CUTS = "data_cut"
data_cuts = dg.DynamicPartitionsDefinition(name=DATA_CUTS)

# Partitioned asset checks are a preview feature of Dagster 1.13 (a PreviewWarning at every definition); we rely on
# them deliberately (each data cut keeps its own check results) and pin Dagster in uv.lock.
warnings.filterwarnings("ignore", message="Specifying a partitions_def on an AssetCheckSpec")
