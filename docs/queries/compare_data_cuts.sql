-- Median overall survival per published data cut (primary analysis): how the result moves from cut to cut.
-- One row per data cut and arm, oldest cut first, with patients and deaths as published ("<11" when suppressed),
-- median OS in months with its 95% CI, and the change in median from the previous published cut of the same arm.
-- To compare two particular cuts, add: and s.data_cut_id in ('<cut A>', '<cut B>').
-- Run: uv run rwe sql docs/queries/compare_data_cuts.sql
select
    s.data_cut_id,
    c.data_cut_date,
    s.arm,
    s.n_display,
    s.events_display,
    s.median,
    s.median_ci_lower,
    s.median_ci_upper,
    s.median - lag(s.median) over (partition by s.arm order by c.data_cut_date, s.data_cut_id)
        as median_change_from_previous_cut
from marts.survival_summary as s
join (
    select data_cut_id, max(data_cut_date) as data_cut_date
    from marts.study_runs
    where is_published and status = 'succeeded'
    group by data_cut_id
) as c on c.data_cut_id = s.data_cut_id
where s.analysis = 'primary'
order by c.data_cut_date, s.data_cut_id, s.arm
