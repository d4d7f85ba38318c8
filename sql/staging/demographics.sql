-- staging.demographics
-- grain: one row per patient. inputs: raw.demographics. parameters: none.
-- Renames gender to sex with lower-case codes; trims free-text codes.
with source as (
    select * from raw.demographics
),

final as (
    select
        patient_id,
        birth_year,
        case gender when 'F' then 'female' when 'M' then 'male' end as sex,
        coalesce(nullif(trim(race), ''), 'Unknown') as race,
        coalesce(nullif(trim(ethnicity), ''), 'Unknown') as ethnicity,
        nullif(upper(trim(state)), '') as state
    from source
)

select * from final
