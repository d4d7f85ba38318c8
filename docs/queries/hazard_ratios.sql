-- Hazard ratios, exposed vs comparator: every analysis and model of the latest published data cut.
-- Cox with Efron ties on counting-process risk sets; HR with its 95% Wald CI and the three P values (Wald,
-- likelihood-ratio, score; the robust score P for the robust variants). Patients and deaths per arm as published
-- ("<11" when suppressed). A model that could not be estimated has status not_estimable and a reason;
-- warnings names diagnostics that did not pass. Primary analysis first, then the others by id.
-- Run: uv run rwe sql docs/queries/hazard_ratios.sql
select
    data_cut_id,
    analysis,
    model,
    status,
    exposed_label,
    comparator_label,
    n_exposed_display,
    events_exposed_display,
    n_comparator_display,
    events_comparator_display,
    round(hr, 3) as hr,
    round(hr_ci_lower, 3) as hr_ci_lower,
    round(hr_ci_upper, 3) as hr_ci_upper,
    p_wald,
    p_lr,
    p_score,
    p_score_robust,
    warnings,
    reason
from latest.hazard_ratios
order by
    analysis <> 'primary',
    analysis,
    list_position(['unstratified', 'stratified_matched_set', 'cluster_robust_matched_set', 'weighted_robust'], model)
