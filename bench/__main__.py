"""``python -m bench``: every benchmark behind one command (``rwe bench`` runs this)."""

from __future__ import annotations

import argparse
import os
import sys

from bench.cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    parser = argparse.ArgumentParser(prog="rwe bench", description="rwe-cohorts benchmarks: end to end or one stage")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
