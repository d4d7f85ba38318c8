-- staging.lines_of_therapy
-- grain: one row per patient and line. inputs: raw.lines_of_therapy. parameters: none.
-- Splits the regimen name into a list of lower-case generic drug names.
with source as (
    select * from raw.lines_of_therapy
),

final as (
    select
        patient_id,
        line_number,
        line_name,
        list_transform(string_split(lower(line_name), ','), lambda d: trim(d)) as drug_names,
        start_date,
        end_date,
        is_maintenance
    from source
)

select * from final
