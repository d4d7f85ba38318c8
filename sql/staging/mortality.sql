-- staging.mortality
-- grain: one row per deceased patient. inputs: raw.mortality. parameters: none.
-- Parses the month-precision death date; the day is imputed downstream (intermediate.patient_outcomes).
with source as (
    select * from raw.mortality
),

final as (
    select
        patient_id,
        death_month,
        cast(strptime(death_month || '-01', '%Y-%m-%d') as date) as death_month_start_date
    from source
)

select * from final
