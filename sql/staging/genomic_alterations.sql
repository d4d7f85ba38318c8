-- staging.genomic_alterations
-- grain: one row per alteration per report. inputs: raw.genomic_alterations. parameters: none.
-- Upper-cases gene symbols (the partner too); empty partners become null.
with source as (
    select * from raw.genomic_alterations
),

final as (
    select
        alteration_id,
        report_id,
        upper(trim(gene)) as gene,
        alteration_type,
        alteration_detail,
        nullif(upper(trim(fusion_partner)), '') as fusion_partner,
        is_functional
    from source
)

select * from final
