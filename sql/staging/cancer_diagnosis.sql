-- staging.cancer_diagnosis
-- grain: one row per patient. inputs: raw.cancer_diagnosis. parameters: none.
-- Renames diagnosis_date to initial_diagnosis_date; collapses AJCC sub-stages to I-IV (unknown when not reported);
-- codes smoking history as ever / never / unknown.
with source as (
    select * from raw.cancer_diagnosis
),

final as (
    select
        patient_id,
        cancer_type,
        diagnosis_date as initial_diagnosis_date,
        case
            when group_stage like 'Stage IV%' then 'IV'
            when group_stage like 'Stage III%' then 'III'
            when group_stage like 'Stage II%' then 'II'
            when group_stage like 'Stage I%' then 'I'
            else 'unknown'
        end as stage_group,
        advanced_diagnosis_date,
        histology,
        case smoking_status
            when 'History of smoking' then 'ever'
            when 'No history of smoking' then 'never'
            else 'unknown'
        end as smoking_status
    from source
)

select * from final
