-- One row per alteration: is the altered gene on the panel of its report? A gene not on the panel was not tested,
-- so a call on it is impossible. Alterations whose report is missing are left null (the foreign key check owns them).
with final as (
    select
        a.alteration_id,
        case
            when not exists (select 1 from raw.genomic_reports r where r.report_id = a.report_id) then null
            else exists (
                select 1
                from raw.genomic_reports r
                inner join raw.panel_genes g on g.panel_version = r.panel_version
                where r.report_id = a.report_id and g.gene = a.gene
            )
        end as is_gene_on_panel
    from raw.genomic_alterations a
)

select * from final
