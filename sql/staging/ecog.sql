-- staging.ecog
-- grain: one row per patient and assessment date. inputs: raw.ecog. parameters: none.
with source as (
    select * from raw.ecog
),

final as (
    select
        patient_id,
        ecog_date,
        ecog_value
    from source
)

select * from final
