"""The Dagster code location loads, and its asset graph covers every stage of the study."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import defs


def test_definitions_load_and_job_resolves() -> None:
    job = defs.resolve_job_def("study_job")
    assert job.name == "study_job"


def test_asset_graph_covers_every_stage() -> None:
    graph = defs.resolve_asset_graph()
    keys = {"/".join(k.path) for k in graph.get_all_asset_keys()}
    for expected in (
        "raw/demographics",
        "staging/genomic_alterations",
        "intermediate/patient_genomics",
        "marts/analytic_cohort",
        "marts/matched_cohort",
        "marts/attrition",
        "marts/hazard_ratios",
        "marts/km_curves",
        "reports/study_report",
    ):
        assert expected in keys, expected
    # Lineage follows the SQL: the analytic cohort reads the eligibility model, which reads staging.
    parents = {"/".join(k.path) for k in graph.get(dg.AssetKey(["marts", "analytic_cohort"])).parent_keys}
    assert "intermediate/patient_eligibility" in parents
    report_parents = {"/".join(k.path) for k in graph.get(dg.AssetKey(["reports", "study_report"])).parent_keys}
    assert "marts/hazard_ratios" in report_parents


def test_checks_are_attached_and_blocking() -> None:
    checks = {(c.asset_key.to_user_string(), c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    assert ("marts/attrition", "counts_never_rise") in checks
    assert ("marts/covariate_balance", "smd_within_threshold") in checks


def test_table1_lineage_follows_its_sql() -> None:
    graph = defs.resolve_asset_graph()

    def parents(*path: str) -> set[str]:
        return {"/".join(k.path) for k in graph.get(dg.AssetKey(list(path))).parent_keys}

    assert parents("marts", "baseline_characteristics") == {
        "intermediate/cohort_covariate_values",
        "marts/analytic_cohort",
    }
    assert parents("intermediate", "cohort_covariate_values") == {"marts/analytic_cohort"}
