-- intermediate.cohort_time_axes
-- grain: one row per patient and index rule (advanced_diagnosis, last_line_before_report), for patients with a
-- cancer diagnosis and an NGS report.
-- inputs: staging.cancer_diagnosis, intermediate.patient_genomics, intermediate.patient_therapy,
--         intermediate.patient_outcomes.
-- parameters: $days_per_month.
-- Time zero = index date; entry (left truncation) = max(0, first NGS report - index): a patient is observed only
-- once sequenced; exit = death date, else censoring (last activity, never after the data cut). A patient whose exit
-- is not after entry cannot contribute (is_contributor = false) and is counted, not dropped.
with base as (
    select
        d.patient_id,
        d.advanced_diagnosis_date,
        g.first_report_date,
        t.last_line_before_report_date,
        o.death_date,
        o.censor_date
    from staging.cancer_diagnosis as d
    inner join intermediate.patient_genomics as g on d.patient_id = g.patient_id
    inner join intermediate.patient_therapy as t on d.patient_id = t.patient_id
    inner join intermediate.patient_outcomes as o on d.patient_id = o.patient_id
),

indexed as (
    select patient_id, 'advanced_diagnosis' as index_rule, advanced_diagnosis_date as index_date, *
        exclude (patient_id)
    from base
    union all
    select patient_id, 'last_line_before_report', last_line_before_report_date, * exclude (patient_id)
    from base
),

days as (
    select
        patient_id,
        index_rule,
        index_date,
        greatest(0, datediff('day', index_date, first_report_date)) as entry_days,
        datediff('day', index_date, coalesce(death_date, censor_date)) as exit_days,
        death_date is not null as is_event
    from indexed
    where index_date is not null
),

final as (
    select
        *,
        entry_days / $days_per_month as entry_months,
        exit_days / $days_per_month as exit_months,
        exit_days > entry_days as is_contributor
    from days
)

select * from final
