-- staging.panel_genes
-- grain: one row per panel version and gene. inputs: raw.panel_genes. parameters: none.
with source as (
    select * from raw.panel_genes
),

final as (
    select
        panel_version,
        upper(trim(gene)) as gene,
        is_rearrangement_baited
    from source
)

select * from final
