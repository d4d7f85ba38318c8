"""Fixtures of the Spark engine tests (defined in ``spark_engines``): the session's SparkSession and the small
delivery built on both engines. Without pyspark (the optional ``spark`` extra; ``make test`` installs it) the Spark
tests are not collected."""

import importlib.util

if importlib.util.find_spec("pyspark") is None:
    collect_ignore_glob = ["test_*.py"]
else:
    from spark_engines import both_engines, spark_session

    __all__ = ["both_engines", "spark_session"]
