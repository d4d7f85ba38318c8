-- NTRK fusion prevalence among tested patients (a patient with at least one report and a demographics row).
-- $exposure_genes: gene symbols whose rearrangement defines NTRK+.
with tested as (
    select distinct r.patient_id
    from raw.genomic_reports r
    where exists (select 1 from raw.demographics d where d.patient_id = r.patient_id)
),

positive as (
    select distinct r.patient_id
    from raw.genomic_alterations a
    inner join raw.genomic_reports r on r.report_id = a.report_id
    where a.alteration_type = 'rearrangement' and list_contains($exposure_genes, a.gene)
),

final as (
    select
        count(*) as n_tested,
        count(p.patient_id) as n_positive,
        coalesce(count(p.patient_id) / nullif(count(*), 0), 0.0) as prevalence
    from tested t
    left join positive p on p.patient_id = t.patient_id
)

select * from final
