-- The analytic cohort's invariants in one row: duplicate patients, negative entries, exits not after entry, and the
-- patients per arm (a list of {arm, patients}).
select
    count(*) - count(distinct patient_id) as duplicates,
    count(*) filter (where entry_days < 0) as negative_entry,
    count(*) filter (where exit_days <= entry_days) as exit_not_after_entry,
    (
        select coalesce(list({'arm': arm, 'patients': n} order by arm), [])
        from (select arm, count(*) as n from marts.analytic_cohort group by arm)
    ) as arms
from marts.analytic_cohort
