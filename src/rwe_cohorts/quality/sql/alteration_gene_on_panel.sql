-- One row per alteration: is the altered gene on the panel of its report? A gene not on the panel was not tested,
-- so a call on it is impossible. Left null (not judged here) when the report is missing (the foreign key check owns
-- it) or when the gene is on no panel at all (an unknown symbol: the contract rule gene_symbol_known owns it).
-- Joins against de-duplicated sets (never a correlated sub-query with a join inside: that plan needs gigabytes at a
-- million patients), so a duplicated key upstream cannot multiply rows here.
with reports as (
    select distinct report_id from raw.genomic_reports
),

known_genes as (
    select distinct gene from raw.panel_genes
),

on_panel as (
    select distinct a.report_id, a.gene
    from (select distinct report_id, gene from raw.genomic_alterations) a
    inner join raw.genomic_reports r on r.report_id = a.report_id
    inner join raw.panel_genes g on g.panel_version = r.panel_version and g.gene = a.gene
),

final as (
    select
        a.alteration_id,
        case
            when r.report_id is null or k.gene is null then null
            else p.report_id is not null
        end as is_gene_on_panel
    from raw.genomic_alterations a
    left join reports r on r.report_id = a.report_id
    left join known_genes k on k.gene = a.gene
    left join on_panel p on p.report_id = a.report_id and p.gene = a.gene
)

select * from final
