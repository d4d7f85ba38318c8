"""Every benchmark of rwe-cohorts, reached by ``rwe bench``: the end-to-end run (``end_to_end``, measured from outside
by ``measure``, tabulated by ``tables``) and the stage benchmarks (``generator``, ``quality``, ``matching``,
``study_stages``). Results go to ``bench/results/`` (git-ignored). Not part of the library: the end-to-end benchmark
runs the Dagster job."""
