-- staging.visits
-- grain: one row per visit. inputs: raw.visits. parameters: none.
with source as (
    select * from raw.visits
),

final as (
    select
        visit_id,
        patient_id,
        visit_date,
        lower(replace(visit_type, ' ', '_')) as visit_type
    from source
)

select * from final
