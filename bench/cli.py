"""``rwe bench``: every benchmark behind one command.

``rwe bench end-to-end`` runs the whole study through the ``rwe run`` code path per size and times every stage
(``bench.end_to_end``). The stage benchmarks time one stage's library calls in fresh processes: ``generator``
(``bench.generator``), ``quality`` (ingest plus every raw and staging check, ``bench.quality``), ``matching`` (PS fit
and greedy matcher on synthetic cohorts, ``bench.matching``) and ``study`` (cohort SQL, matching, survival and the
robustness loop on a generated delivery, ``bench.study_stages``); ``calibration`` runs the study's chain on
many seeds and compares the figures with the published ones (``bench.calibration``). Each takes its own options
(``rwe bench quality --help``).
"""

from __future__ import annotations

import argparse
import importlib

# subcommand -> (module with ``add_arguments(parser)`` and ``run(args) -> int``, help line)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "end-to-end": ("bench.end_to_end", "generate each size, run the whole study as `rwe run` does, time every stage"),
    "generator": ("bench.generator", "synthetic generator: wall time and peak memory per delivery size"),
    "quality": ("bench.quality", "ingest and every raw and staging data-quality check per delivery size"),
    "matching": ("bench.matching", "propensity fit and greedy 1:k matcher on synthetic cohorts"),
    "study": ("bench.study_stages", "cohort SQL, matching, survival and robustness loop on a generated delivery"),
    "calibration": ("bench.calibration", "the generator against the published figures, mean and SD over seeds"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``bench`` subcommands on ``parser`` (the ``rwe bench`` parser), each with its module's own options."""
    sub = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name, (module, help_text) in BENCHMARKS.items():
        bench = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module).add_arguments(bench)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark ``args.benchmark`` names (parsed by :func:`add_arguments`)."""
    module, _ = BENCHMARKS[args.benchmark]
    return int(importlib.import_module(module).run(args))
