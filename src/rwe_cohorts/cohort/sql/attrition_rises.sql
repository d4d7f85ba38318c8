-- Arms whose patient count rises from one attrition step to the next (should be none): one row per rise.
select arm, step, patients_remaining, prev
from (
    select arm, step, patients_remaining,
        lag(patients_remaining) over (partition by arm order by step_order) as prev
    from marts.attrition
)
where prev is not null and patients_remaining > prev
order by arm, step
