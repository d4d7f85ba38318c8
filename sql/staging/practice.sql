-- staging.practice
-- grain: one row per patient and practice. inputs: raw.practice. parameters: none.
with source as (
    select * from raw.practice
),

final as (
    select
        patient_id,
        practice_id,
        lower(practice_type) as practice_type
    from source
)

select * from final
