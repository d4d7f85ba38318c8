-- Row-count drift: rows per raw table of each published data cut against the previous published cut.
-- The same comparison as the raw quality check row_count_drift (warn when the relative change exceeds 0.5); newest
-- cut first. The first published cut has no baseline (previous_row_count NULL). A table missing from a later
-- delivery does not appear here; the check counts it as 0 rows.
-- Run: uv run rwe sql docs/queries/row_count_drift.sql
select
    d.data_cut_id,
    d.data_cut_date,
    d.relation,
    d.row_count,
    d.previous_data_cut_id,
    d.previous_row_count,
    round(d.relative_change, 4) as relative_change,
    d.relative_change > 0.5 as drift_warning
from (
    select
        c.*,
        lag(c.data_cut_id) over w as previous_data_cut_id,
        lag(c.row_count) over w as previous_row_count,
        case
            when lag(c.row_count) over w is null then null
            when lag(c.row_count) over w = 0 then (case when c.row_count = 0 then 0.0 else 1.0 end)
            else abs(c.row_count - lag(c.row_count) over w) / lag(c.row_count) over w
        end as relative_change
    from qa.delivery_row_counts as c
    window w as (partition by c.relation order by c.data_cut_date, c.data_cut_id)
) as d
order by d.data_cut_date desc, d.relation
