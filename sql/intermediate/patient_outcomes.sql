-- intermediate.patient_outcomes
-- grain: one row per patient.
-- inputs: staging.demographics, staging.visits, staging.lines_of_therapy, staging.genomic_reports, staging.mortality.
-- parameters: $data_cut_date, $death_day_of_month.
-- Last activity = latest visit, line start or end, or NGS report on or before the data cut. Death dates arrive at
-- month precision: the day is imputed ($death_day_of_month). A death before the last activity (the imputed day, or
-- the whole month) is reconciled to the last activity date and flagged; a death month after the data cut is not
-- an observed death at this cut. Censoring at the last activity (never after the data cut).
with patients as (
    select patient_id from staging.demographics
),

activity as (
    select patient_id, visit_date as activity_date from staging.visits
    union all
    select patient_id, start_date from staging.lines_of_therapy
    union all
    select patient_id, end_date from staging.lines_of_therapy where end_date is not null
    union all
    select patient_id, report_date from staging.genomic_reports
),

last_activity as (
    select patient_id, max(activity_date) as last_activity_date
    from activity
    where activity_date <= $data_cut_date
    group by patient_id
),

deaths as (
    select
        patient_id,
        death_month,
        make_date(year(death_month_start_date), month(death_month_start_date), $death_day_of_month) as imputed_date,
        death_month_start_date
    from staging.mortality
),

final as (
    select
        p.patient_id,
        a.last_activity_date,
        d.death_month,
        d.death_month_start_date is not null and d.death_month_start_date <= $data_cut_date as has_death,
        case
            when d.death_month_start_date is null or d.death_month_start_date > $data_cut_date then null
            else least(greatest(d.imputed_date, a.last_activity_date), $data_cut_date)
        end as death_date,
        coalesce(d.imputed_date < a.last_activity_date, false) as is_death_date_reconciled,
        coalesce(last_day(d.death_month_start_date) < a.last_activity_date, false) as is_death_month_before_activity,
        coalesce(d.death_month_start_date > $data_cut_date, false) as is_death_after_cut,
        least(a.last_activity_date, $data_cut_date) as censor_date,
        $data_cut_date as data_cut_date
    from patients as p
    left join last_activity as a on p.patient_id = a.patient_id
    left join deaths as d on p.patient_id = d.patient_id
)

select * from final
