"""Timing of the propensity fit and the greedy matcher on synthetic cohorts.

Run: ``uv run python -m bench.matching [n_rows ...]`` (default 58,001, 1,000,000 and 10,000,000 rows).
The synthetic cohort mimics the study's shape, not its values: ~20 exact strata (cancer types) with unequal shares,
an exposed share of 0.25% (about 25,000 exposed in 10M rows), 1:10 matching on the logit PS with a 0.2 SD caliper.
Above ``fit_max_rows`` the PS fit is skipped and the matcher runs on the true linear predictor instead.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np
import polars as pl

CATEGORICAL = ("smoking_status", "practice_type", "stage")
CONTINUOUS = ("age_years", "lines_before_report", "report_delay_months")


def synthetic_cohort(n_rows: int, *, exposed_share: float = 0.0025, n_strata: int = 20, seed: int = 0) -> pl.DataFrame:
    """Random cohort with a planted logistic exposure model; ``true_logit`` is the planted linear predictor."""
    rng = np.random.default_rng(seed)
    shares = rng.dirichlet(np.full(n_strata, 1.0))
    stratum = rng.choice(n_strata, size=n_rows, p=shares)
    smoking = rng.choice(3, size=n_rows, p=[0.2, 0.4, 0.4])
    practice = rng.choice(2, size=n_rows, p=[0.2, 0.8])
    stage = rng.choice(4, size=n_rows, p=[0.1, 0.15, 0.25, 0.5])
    age = rng.normal(65, 11, n_rows)
    lines = rng.poisson(1.2, n_rows).astype(np.float64)
    delay = rng.gamma(1.5, 4.0, n_rows)
    lp = (
        -0.02 * (age - 65)
        + 0.5 * (smoking == 2)
        + 0.3 * (practice == 0)
        - 0.2 * lines
        + 0.03 * delay
        + rng.normal(0, 0.8, n_strata)[stratum]
    )
    noisy = lp + rng.logistic(size=n_rows)
    n_exposed = max(1, round(exposed_share * n_rows))
    exposed = np.zeros(n_rows, dtype=bool)
    exposed[np.argpartition(-noisy, n_exposed - 1)[:n_exposed]] = True
    smoking_missing = rng.random(n_rows) < 0.05

    def labels(names: Sequence[str], codes: np.ndarray) -> pl.Series:
        return pl.Series(list(names), dtype=pl.String).gather(pl.Series(codes))

    return pl.DataFrame(
        {
            "patient_id": rng.permutation(n_rows).astype(np.int64) + 1,
            "is_exposed": exposed,
            "cancer_type": labels([f"type_{i:02d}" for i in range(n_strata)], stratum),
            "smoking_status": labels(["current", "former", "never"], smoking).zip_with(
                pl.Series(~smoking_missing), pl.Series([None], dtype=pl.String).extend_constant(None, n_rows - 1)
            ),
            "practice_type": labels(["academic", "community"], practice),
            "stage": labels(["I", "II", "III", "IV"], stage),
            "age_years": age,
            "lines_before_report": lines,
            "report_delay_months": delay,
            "true_logit": lp,
        }
    )


def time_fit_and_match(df: pl.DataFrame, *, fit: bool) -> dict[str, float | int | str]:
    """Seconds for fit_propensity (if ``fit``) and match_nearest (1:10, exact on cancer type, caliper 0.2 SD)."""
    # Imported here, not at the top: ``rwe`` builds every benchmark's options at start-up.
    from rwe_cohorts.matching.greedy import match_nearest
    from rwe_cohorts.matching.propensity import fit_propensity

    scores = df.rename({"true_logit": "logit_ps"})
    fit_s = float("nan")
    if fit:
        t0 = time.perf_counter()
        result = fit_propensity(df, categorical=CATEGORICAL, continuous=CONTINUOUS)
        fit_s = time.perf_counter() - t0
        scores = df.drop("true_logit").join(result.scores.select("patient_id", "logit_ps"), on="patient_id")
    t0 = time.perf_counter()
    matched = match_nearest(scores, exact=["cancer_type"], ratio=10, caliper_sd=0.2)
    match_s = time.perf_counter() - t0
    return {
        "n_rows": df.height,
        "n_exposed": matched.n_exposed,
        "n_controls_matched": matched.n_controls_matched,
        "n_exposed_complete": matched.n_exposed_complete,
        "fit_seconds": fit_s,
        "match_seconds": match_s,
        "score": "fitted logit PS" if fit else "planted linear predictor",
    }


def run_benchmark(
    sizes: Sequence[int] = (58_001, 1_000_000, 10_000_000), *, fit_max_rows: int = 10_000_000
) -> pl.DataFrame:
    """One timing row per size (data generation is not timed)."""
    rows = [time_fit_and_match(synthetic_cohort(n), fit=n <= fit_max_rows) for n in sizes]
    return pl.DataFrame(rows)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sizes",
        type=lambda s: int(s.replace("_", "")),
        nargs="*",
        default=[58_001, 1_000_000, 10_000_000],
        help="rows per synthetic cohort (default 58001 1000000 10000000)",
    )


def run(args: argparse.Namespace) -> int:
    with pl.Config(tbl_cols=-1, tbl_width_chars=200):
        print(run_benchmark(args.sizes))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
