-- Per arm of the analytic cohort: deaths, deaths whose imputed date was moved to the last activity, and deaths
-- whose whole death month lies before the last activity.
select
    c.arm,
    count(*) filter (where c.is_event) as deaths,
    count(*) filter (where c.is_death_date_reconciled) as reconciled,
    count(*) filter (where o.is_death_month_before_activity and c.is_event) as month_before_activity
from marts.analytic_cohort as c
inner join intermediate.patient_outcomes as o on c.patient_id = o.patient_id
group by c.arm
order by c.arm
