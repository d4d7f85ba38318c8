"""Data cuts are partitions: one per delivery folder in the landing area, keyed by the manifest's data cut id.

They are dynamic: the landing sensor (``pipelines/ingest/sensors.py``) and ``rwe run`` register a data cut when its
delivery is complete. Every asset of the study is partitioned by data cut, so each cut has its own warehouse file,
report and published rows, and a failure in one cut never blocks another.
"""

import dagster as dg

DATA_CUTS = "data_cut"
data_cuts = dg.DynamicPartitionsDefinition(name=DATA_CUTS)
