-- One row per NTRK+ patient: does the patient also carry a functional alteration in a canonical driver gene
-- (on any report)? $exposure_genes define NTRK+; $driver_genes are the canonical drivers.
with positive as (
    select distinct r.patient_id
    from raw.genomic_alterations a
    inner join raw.genomic_reports r on r.report_id = a.report_id
    where a.alteration_type = 'rearrangement' and list_contains($exposure_genes, a.gene)
),

drivers as (
    select distinct r.patient_id
    from raw.genomic_alterations a
    inner join raw.genomic_reports r on r.report_id = a.report_id
    where a.is_functional and list_contains($driver_genes, a.gene) and not list_contains($exposure_genes, a.gene)
),

final as (
    select
        p.patient_id,
        d.patient_id is not null as has_driver_coalteration
    from positive p
    left join drivers d on d.patient_id = p.patient_id
)

select * from final order by patient_id
