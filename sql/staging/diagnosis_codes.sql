-- staging.diagnosis_codes
-- grain: one row per patient, date and code. inputs: raw.diagnosis_codes. parameters: none.
with source as (
    select * from raw.diagnosis_codes
),

final as (
    select
        patient_id,
        diagnosis_date,
        code_system,
        upper(trim(diagnosis_code)) as diagnosis_code
    from source
)

select * from final
