-- Covariate balance before and after propensity-score matching: latest published data cut.
-- Means (continuous) or proportions (each level of a categorical covariate) per arm, standardized mean differences
-- before and after matching, flags where |SMD| exceeds the study's balance threshold
-- (matching.balance_smd_threshold of the spec the published run used; 0.1 if absent), and after matching the
-- variance ratio (continuous), the SMD's standard error, the P that |SMD| exceeds the threshold and the verdict of
-- the balance test (balanced / within chance / imbalanced). Worst balance after matching first. Only an
-- 'imbalanced' row raises the pipeline's balance warning (see docs/qa.md).
-- Run: uv run rwe sql docs/queries/covariate_balance.sql
select
    b.data_cut_id,
    b.covariate,
    b.level,
    b.kind,
    round(b.mean_exposed_before, 3) as mean_exposed_before,
    round(b.mean_control_before, 3) as mean_control_before,
    round(b.smd_before, 3) as smd_before,
    round(b.mean_exposed_after, 3) as mean_exposed_after,
    round(b.mean_control_after, 3) as mean_control_after,
    round(b.smd_after, 3) as smd_after,
    round(b.variance_ratio_after, 3) as variance_ratio_after,
    round(b.smd_se_after, 3) as smd_se_after,
    round(b.p_above_threshold_after, 4) as p_above_threshold_after,
    b.balance_after,
    t.threshold as smd_threshold,
    abs(b.smd_before) > t.threshold as imbalanced_before,
    abs(b.smd_after) > t.threshold as imbalanced_after
from latest.covariate_balance as b
cross join (
    select coalesce(
        (
            select cast(json_extract(r.spec_json, '$.matching.balance_smd_threshold') as double)
            from latest.study_runs as r
            where r.is_published and r.status = 'succeeded'
            order by r.finished_at desc
            limit 1
        ),
        0.1
    ) as threshold
) as t
order by abs(b.smd_after) desc nulls last, b.covariate, b.level nulls first
