"""The study's propensity model: the penalised fit pinned against independent references (direct optimisation with
scipy on a hand-built design, the 2x2 table's score equations solved with brentq), the scaling's back-transform,
sparse levels merged and reported, a one-patient level through the matching step (no warning), and why the
exact strata belong in the model (planted cohort)."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import polars as pl
import pytest
from scipy import optimize

from rwe_cohorts.core.spec import StudySpec, load_spec, parse_spec
from rwe_cohorts.core.warehouse import PROJECT_ROOT
from rwe_cohorts.matching import (
    PropensityModelError,
    PropensityModelWarning,
    covariate_balance,
    fit_propensity,
    match_nearest,
)
from rwe_cohorts.matching.study import matching_marts, ps_model_terms, run_matching

SEED = 20240611
CBIO_SPEC = PROJECT_ROOT / "pipelines" / "studies" / "ntrk_cbioportal.yaml"


def planted(n: int, seed: int = SEED) -> pl.DataFrame:
    """Smoking (three levels and nulls), a binary practice type, age in years and lines of therapy; exposure ~12%."""
    rng = np.random.default_rng(seed)
    smoking = rng.choice(["current", "former", "never", ""], size=n, p=[0.45, 0.25, 0.2, 0.1])
    practice = rng.choice(["community", "academic"], size=n, p=[0.8, 0.2])
    age = rng.normal(63, 11, n)
    lines = rng.poisson(0.8, n).astype(float)
    lp = -2.0 + 0.6 * (smoking == "never") - 0.4 * (practice == "academic") - 0.03 * (age - 63) + 0.3 * lines
    exposed = rng.random(n) < 1 / (1 + np.exp(-lp))
    df = pl.DataFrame(
        {"patient_id": np.arange(n), "is_exposed": exposed, "smoking": smoking, "practice": practice, "age": age}
    )
    return df.with_columns(pl.col("smoking").replace("", None), pl.Series("lines", lines))


def hand_design(df: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The design built by hand: intercept, smoking against 'current' (nulls 'unknown'), practice against
    'community', age, lines."""
    smoking = df["smoking"].fill_null("unknown").to_numpy()
    cols = [np.ones(df.height)]
    cols += [(smoking == lv).astype(float) for lv in ("former", "never", "unknown")]
    cols += [(df["practice"] == "academic").to_numpy().astype(float), df["age"].to_numpy(), df["lines"].to_numpy()]
    terms = ["intercept", "smoking[former]", "smoking[never]", "smoking[unknown]", "practice[academic]", "age", "lines"]
    return np.column_stack(cols), terms


def scipy_ridge(x: np.ndarray, y: np.ndarray, weights: np.ndarray, centres: np.ndarray, lam: float) -> np.ndarray:
    """argmin -loglik(b) + lam/2 [sum_j w_j (b_j s_j)^2 + w_0 (b_0 + sum_j b_j c_j)^2] in the original units, by
    scipy's Newton-CG with the exact gradient and Hessian, to a gradient below 1e-6 (w: which coefficients are
    penalised, s: their scales)."""
    p = x.shape[1]
    # the penalised coordinates as a linear map of b: g = A b (g_0 the centred intercept, g_j = b_j s_j)
    a = np.diag(weights[1])
    a[0, 1:] = centres[1:]
    a[0, 0] = 1.0
    a = a * weights[0][:, None]

    def f(b: np.ndarray) -> float:
        eta = x @ b
        return float(np.sum(np.logaddexp(0, eta) - y * eta) + lam / 2 * np.sum((a @ b) ** 2))

    def grad(b: np.ndarray) -> np.ndarray:
        mu = 1 / (1 + np.exp(-(x @ b)))
        return x.T @ (mu - y) + lam * a.T @ (a @ b)

    def hess(b: np.ndarray) -> np.ndarray:
        mu = 1 / (1 + np.exp(-(x @ b)))
        return (x * (mu * (1 - mu))[:, None]).T @ x + lam * a.T @ a

    res = optimize.minimize(f, np.zeros(p), jac=grad, hess=hess, method="newton-cg", options={"xtol": 1e-12})
    # at the optimum scipy may report precision loss; stationarity is the criterion that matters
    assert np.abs(grad(res.x)).max() < 1e-6, res.message
    return np.asarray(res.x)


@pytest.mark.parametrize(
    ("lam", "standardize", "penalize_intercept"),
    [
        (0.1, "continuous", False),
        (5.0, "continuous", False),
        (5.0, "all", False),
        (5.0, "none", True),
        (2.0, "all", True),
    ],
)
def test_penalised_fit_equals_direct_optimisation_with_scipy(
    lam: float, standardize: str, penalize_intercept: bool
) -> None:
    df = planted(4_000)
    x, terms = hand_design(df)
    y = df["is_exposed"].to_numpy().astype(float)
    scaled = {"continuous": [5, 6], "all": [1, 2, 3, 4, 5, 6], "none": []}[standardize]
    centres, scales = np.zeros(x.shape[1]), np.ones(x.shape[1])
    centres[scaled], scales[scaled] = x[:, scaled].mean(axis=0), x[:, scaled].std(axis=0)
    penalised = np.r_[1.0 if penalize_intercept else 0.0, np.ones(x.shape[1] - 1)]
    # with a penalised intercept the centred intercept b_0 + sum_j b_j c_j is what is shrunk
    weights = np.vstack([penalised, np.r_[1.0, scales[1:]]])
    expected = scipy_ridge(x, y, weights, centres, lam)
    fit = fit_propensity(
        df,
        categorical=["smoking", "practice"],
        continuous=["age", "lines"],
        penalty=lam,
        standardize=standardize,  # type: ignore[arg-type]
        penalize_intercept=penalize_intercept,
    )
    assert fit.coefficients["term"].to_list() == terms
    np.testing.assert_allclose(fit.coefficients["estimate"].to_numpy(), expected, rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(fit.scores["logit_ps"].to_numpy(), x @ expected, atol=1e-6)
    assert fit.converged and fit.warnings == () and fit.coefficients["std_error"].null_count() == len(terms)


def two_by_two_ridge(n0: int, a0: int, n1: int, a1: int, lam: float) -> float:
    """The ridge log odds ratio of a 2x2 table (unpenalised intercept) from the score equations:
    a1 - n1 p1 = lam b and a0 - n0 p0 = -lam b, so p0 = (a0 + lam b) / n0, p1 = (a1 - lam b) / n1 and
    logit(p1) - logit(p0) = b, one equation in b solved by brentq on the interval where both p lie in (0, 1)."""

    def gap(b: float) -> float:
        p0, p1 = (a0 + lam * b) / n0, (a1 - lam * b) / n1
        return math.log(p1 / (1 - p1)) - math.log(p0 / (1 - p0)) - b

    lo = max(-a0 / lam, (a1 - n1) / lam) + 1e-12
    hi = min((n0 - a0) / lam, a1 / lam) - 1e-12
    return float(optimize.brentq(gap, lo, hi, xtol=1e-14))


@pytest.mark.parametrize(
    ("n1", "a1", "lam"),
    [(300, 45, 0.1), (300, 0, 0.1), (8_605, 0, 0.1), (1, 0, 0.1), (1, 1, 2.0), (40, 40, 1.0)],
    ids=["ordinary", "no-exposed", "large-no-exposed", "one-patient", "one-exposed-patient", "all-exposed"],
)
def test_penalised_fit_equals_the_two_by_two_score_equations(n1: int, a1: int, lam: float) -> None:
    """Separated and single-patient levels included: the ridge estimate is finite, no warning is issued."""
    n0, a0 = 16_000, 23
    level = ["rare"] * n1 + ["common"] * n0
    exposed = [True] * a1 + [False] * (n1 - a1) + [True] * a0 + [False] * (n0 - a0)
    df = pl.DataFrame({"patient_id": np.arange(n0 + n1), "is_exposed": exposed, "g": level})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_propensity(df, categorical=["g"], continuous=[], penalty=lam)
    row = fit.coefficients.filter(pl.col("term") == "g[rare]").row(0, named=True)
    assert row["estimate"] == pytest.approx(two_by_two_ridge(n0, a0, n1, a1, lam), abs=1e-7)
    assert fit.converged and fit.warnings == ()
    if a1 in (0, n1):
        assert "g[rare] (" in fit.notes[-1] and "finite under the penalty" in fit.notes[-1]


def test_mle_warns_on_the_separated_level_the_penalty_fixes() -> None:
    df = pl.DataFrame(
        {"patient_id": np.arange(2_000), "is_exposed": np.arange(2_000) % 50 == 0, "g": ["a"] * 1_990 + ["b"] * 10}
    ).with_columns(pl.when(pl.col("g") == "b").then(False).otherwise(pl.col("is_exposed")).alias("is_exposed"))
    with pytest.warns(PropensityModelWarning) as record:
        fit_propensity(df, categorical=["g"], continuous=[])
    assert any("separation: g[b] (no patient exposed)" in str(w.message) for w in record)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_propensity(df, categorical=["g"], continuous=[], penalty=0.1).warnings == ()


def test_redundant_terms_are_an_error_for_the_mle_and_shared_under_the_penalty() -> None:
    """Two identical indicator columns (a stage level only one cancer type has, and all of it): the MLE is not
    identified; the ridge splits the effect equally, and the sum equals the one-column fit at half the lambda
    (lam/2 (b1^2 + b2^2) with b1 = b2 = B/2 is lam/4 B^2)."""
    df = planted(3_000).with_columns(
        pl.when(pl.col("practice") == "academic").then(pl.lit("rare type")).otherwise(pl.lit("common")).alias("kind")
    )
    kw = {"continuous": [], "standardize": "continuous"}  # no other penalised term, so the lambdas compare
    with pytest.raises(PropensityModelError, match=r"rank-deficient.*kind\[rare type\]"):
        fit_propensity(df, categorical=["practice", "kind"], **kw)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = fit_propensity(df, categorical=["practice", "kind"], penalty=2.0, **kw)  # type: ignore[arg-type]
    one = fit_propensity(df, categorical=["practice"], penalty=1.0, **kw)  # type: ignore[arg-type]
    est = dict(both.coefficients.select("term", "estimate").iter_rows())
    assert est["practice[academic]"] == pytest.approx(est["kind[rare type]"], abs=1e-8)
    single = dict(one.coefficients.select("term", "estimate").iter_rows())["practice[academic]"]
    assert est["practice[academic]"] + est["kind[rare type]"] == pytest.approx(single, abs=1e-7)
    assert any("rank-deficient" in n and "the penalty identifies" in n for n in both.notes)


def test_standardizing_does_not_change_the_mle_and_its_standard_errors() -> None:
    """Unscaling maps the estimates and the covariance (b = T g, cov T cov T'): the MLE is scale-equivariant."""
    df = planted(3_000)
    kw = {"categorical": ["smoking", "practice"], "continuous": ["age", "lines"]}
    plain = fit_propensity(df, **kw)  # type: ignore[arg-type]
    for standardize in ("continuous", "all"):
        fit = fit_propensity(df, standardize=standardize, **kw)  # type: ignore[arg-type]
        for col in ("estimate", "std_error"):
            np.testing.assert_allclose(fit.coefficients[col].to_numpy(), plain.coefficients[col].to_numpy(), rtol=1e-7)


def test_sparse_levels_are_merged_into_the_reference_and_reported() -> None:
    """Levels with fewer than min_level_patients patients: coded as the most frequent level (the same fit as
    relabelling them by hand), listed in ``levels`` with their counts and in the notes."""
    df = planted(3_000).with_columns(
        pl.when(pl.col("patient_id") < 3)
        .then(pl.lit("other"))
        .when(pl.col("patient_id") < 10)
        .then(pl.lit("declined"))
        .otherwise(pl.col("smoking"))
        .alias("smoking")
    )
    kw = {"continuous": ["age"], "penalty": 0.1, "standardize": "continuous"}
    fit = fit_propensity(df, categorical=["smoking"], min_level_patients=10, **kw)  # type: ignore[arg-type]
    relabelled = df.with_columns(pl.col("smoking").replace(["other", "declined"], ["current", "current"]))
    by_hand = fit_propensity(relabelled, categorical=["smoking"], **kw)  # type: ignore[arg-type]
    assert fit.coefficients["term"].to_list() == by_hand.coefficients["term"].to_list()
    np.testing.assert_allclose(fit.coefficients["estimate"].to_numpy(), by_hand.coefficients["estimate"].to_numpy())
    merged = fit.levels.filter("is_merged").sort("level")
    assert merged.select("level", "n", "coded_as").rows() == [("declined", 7, "current"), ("other", 3, "current")]
    assert merged["n_exposed"].to_list() == [
        int(df.filter(pl.col("smoking") == lv)["is_exposed"].sum()) for lv in ("declined", "other")
    ]
    assert fit.levels.filter("is_reference")["level"].to_list() == ["current"]
    assert int(fit.levels["n"].sum()) == df.height
    assert any("sparse level(s) ['declined', 'other']" in n and "'current'" in n for n in fit.notes)
    assert "merged into the reference" in fit.method


def hand_made_cohort() -> pl.DataFrame:
    """A cBioPortal-like analytic cohort: two cancer types, age and sex, one patient with sex 'unknown'."""
    rng = np.random.default_rng(SEED)
    n = 1_200
    cancer = np.where(np.arange(n) < 700, "Thyroid", "Colorectal")
    exposed = np.zeros(n, dtype=bool)
    exposed[rng.choice(700, 25, replace=False)] = True
    exposed[700 + rng.choice(500, 8, replace=False)] = True
    sex = rng.choice(["Female", "Male"], size=n, p=[0.55, 0.45]).astype(object)
    sex[np.flatnonzero(~exposed)[0]] = "unknown"
    return pl.DataFrame(
        {
            "patient_id": [f"P{i:05d}" for i in range(n)],
            "arm": np.where(exposed, "NTRK+", "NTRK-"),
            "is_exposed": exposed,
            "cancer_type": cancer,
            "age_at_index_years": rng.normal(58, 12, n),
            "sex": sex.astype(str),
            "sample_type": rng.choice(["Primary", "Metastasis"], size=n, p=[0.6, 0.4]),
        }
    )


def spec_with(spec: StudySpec, **ps_model: object) -> StudySpec:
    data = copy.deepcopy(spec.to_dict())
    data["matching"]["ps_model"].update(ps_model)
    return parse_spec(data)


def test_one_patient_with_sex_unknown_matches_without_any_warning() -> None:
    """Through the matching step itself (``run_matching``, as the Dagster asset calls it), with the shipped
    cBioPortal spec: the level is merged and reported; without merging the penalised fit still converges quietly;
    the unpenalised MLE on the same cohort is the failure the penalty prevents."""
    spec = load_spec(CBIO_SPEC)
    cohort = hand_made_cohort()
    assert ps_model_terms(spec) == (["cancer_type", "sex", "sample_type"], ["age_at_index_years"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = run_matching(cohort, spec)
        unmerged = run_matching(cohort, spec_with(spec, min_level_patients=1))
    assert out.fit.converged and out.fit.warnings == ()
    unknown = out.fit.levels.filter(pl.col("level") == "unknown").row(0, named=True)
    assert (unknown["n"], unknown["n_exposed"], unknown["is_merged"], unknown["coded_as"]) == (1, 0, True, "Female")
    marts = matching_marts(out, spec)
    model = marts["marts.ps_model"].row(0, named=True)
    assert model["merged_levels"] == "sex[unknown] -> sex[Female]" and model["warnings"] == ""
    assert (model["penalty"], model["penalty_lambda"], model["standardize"]) == ("l2", 0.1, "continuous")
    assert "sex[unknown]" not in marts["marts.ps_model"]["term"].to_list()
    assert out.matched_cohort.filter(pl.col("is_exposed")).height == 33
    assert unmerged.fit.converged and unmerged.fit.warnings == ()
    term = unmerged.fit.coefficients.filter(pl.col("term") == "sex[unknown]")["estimate"].item()
    assert -10 < term < 0
    with pytest.warns(PropensityModelWarning) as record:
        run_matching(cohort, spec_with(spec, penalty="none", penalty_lambda=None, min_level_patients=1))
    assert any("separation: sex[unknown] (no patient exposed)" in str(w.message) for w in record)


def strata_cohort(seed: int) -> pl.DataFrame:
    """Two strata with different exposure rates and different x2; within a stratum exposure depends on x1 only."""
    rng = np.random.default_rng(seed)
    n = 4_000
    stratum = np.repeat(["A", "B"], n)
    x1 = rng.normal(0, 1, 2 * n)
    x2 = rng.normal(np.where(stratum == "A", 0.0, 1.5), 1.0)
    lp = np.where(stratum == "A", -2.5, -4.5) + 0.8 * x1
    exposed = rng.random(2 * n) < 1 / (1 + np.exp(-lp))
    return pl.DataFrame({"patient_id": np.arange(2 * n), "is_exposed": exposed, "stratum": stratum, "x1": x1, "x2": x2})


def test_exact_strata_in_the_ps_model_prevent_overcorrection_within_strata() -> None:
    """Matching exactly on the stratum with a PS fitted across strata: x2 (between-stratum only) gets a slope and
    the matched comparators are pulled off the exposed patients' x2; with the stratum in the model both balance."""
    df = strata_cohort(SEED)
    smd = {}
    for name, categorical in (("pooled", []), ("strata", ["stratum"])):
        fit = fit_propensity(
            df, categorical=categorical, continuous=["x1", "x2"], penalty=0.1, standardize="continuous"
        )
        scores = df.select("patient_id", "stratum").join(fit.scores, on="patient_id")
        matched = match_nearest(scores, exact=["stratum"], ratio=2)
        after = df.join(matched.matched.select("patient_id"), on="patient_id", how="semi")
        smd[name] = covariate_balance(df, after, categorical=[], continuous=["x1", "x2"])["smd_after"].to_list()
    assert smd["pooled"][1] > 0.2 and smd["pooled"][0] > 0.1
    assert max(abs(v) for v in smd["strata"]) < 0.05
