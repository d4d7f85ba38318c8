-- One row per alteration that names a fusion partner: is the partner a known gene symbol, on the reference list of
-- fusion partner genes ($known_partners) or on some panel version?
with final as (
    select
        a.alteration_id,
        list_contains($known_partners, a.fusion_partner)
        or exists (select 1 from raw.panel_genes p where p.gene = a.fusion_partner) as is_partner_known
    from raw.genomic_alterations a
    where a.fusion_partner is not null
)

select * from final
