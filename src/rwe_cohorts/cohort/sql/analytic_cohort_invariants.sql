-- The analytic cohort's invariants in one row: duplicate patients, negative entries, exits not after entry, arms.
select
    count(*) - count(distinct patient_id) as duplicates,
    count(*) filter (where entry_days < 0) as negative_entry,
    count(*) filter (where exit_days <= entry_days) as exit_not_after_entry,
    count(distinct arm) as arms
from marts.analytic_cohort
