-- Median overall survival by arm: primary analysis, latest published data cut.
-- One row per arm, exposed arm first: patients and deaths as published (a count below the small-cell threshold
-- shows as "<11"), median OS in months with its 95% CI (R quantile.survfit rule; NULL or NaN when not reached),
-- and the same as one "median (lower-upper)" string ("NR" = not reached).
-- Run: uv run rwe sql docs/queries/median_os_by_arm.sql
select
    s.data_cut_id,
    s.arm,
    s.n_display,
    s.events_display,
    s.median,
    s.median_ci_lower,
    s.median_ci_upper,
    concat_ws(
        '',
        case when s.median is null or isnan(s.median) then 'NR' else printf('%.1f', s.median) end,
        ' (',
        case when s.median_ci_lower is null or isnan(s.median_ci_lower) then 'NR'
            else printf('%.1f', s.median_ci_lower) end,
        '-',
        case when s.median_ci_upper is null or isnan(s.median_ci_upper) then 'NR'
            else printf('%.1f', s.median_ci_upper) end,
        ')'
    ) as median_os_months_95ci
from latest.survival_summary as s
where s.analysis = 'primary'
order by
    s.arm = (select any_value(h.exposed_label) from latest.hazard_ratios as h where h.analysis = 'primary') desc,
    s.arm
