-- intermediate.patient_genomics
-- grain: one row per patient with at least one NGS report.
-- inputs: staging.genomic_reports, staging.genomic_alterations, staging.panel_genes.
-- parameters: $exposure_genes, $exposure_alteration_types, $require_functional, $negative_requires_all_genes,
--             $driver_genes.
-- Exposure status: positive = a qualifying alteration in an exposure gene (as gene or as fusion partner; partner
-- order in sources is not reliable) on any report; negative = none, and at least one report whose panel covers every
-- exposure gene, or any one of them when the spec says so (rearrangement-baited when rearrangements define
-- exposure); otherwise not_assessable: a gene not on the panel is not tested, not negative. Driver co-alteration: a functional alteration in a driver gene other than the
-- exposure genes, on any report. Sample type: the first report's (ties: report id), unknown when not recorded.
with reports as (
    select * from staging.genomic_reports
),

alterations as (
    select a.*, r.patient_id, r.report_date
    from staging.genomic_alterations as a
    inner join reports as r on a.report_id = r.report_id
),

panels as (
    select * from staging.panel_genes
),

first_report as (
    select
        patient_id,
        min(report_date) as first_report_date,
        count(*) as n_reports,
        coalesce(arg_min(sample_type, (report_date, report_id)), 'unknown') as sample_type
    from reports
    group by patient_id
),

assessed as (
    select r.patient_id
    from reports as r
    inner join panels as p on r.panel_version = p.panel_version
    where list_contains($exposure_genes, p.gene)
        and (p.is_rearrangement_baited or not list_contains($exposure_alteration_types, 'rearrangement'))
    group by r.patient_id, r.report_id
    having count(distinct p.gene) >= case when $negative_requires_all_genes then len($exposure_genes) else 1 end
),

exposure_events as (
    select
        patient_id,
        report_date,
        case when list_contains($exposure_genes, gene) then gene else fusion_partner end as exposure_gene,
        case when list_contains($exposure_genes, gene) then fusion_partner else gene end as exposure_partner,
        alteration_id
    from alterations
    where (list_contains($exposure_genes, gene) or list_contains($exposure_genes, coalesce(fusion_partner, '')))
        and list_contains($exposure_alteration_types, alteration_type)
        and (is_functional or not $require_functional)
),

first_exposure as (
    select
        patient_id,
        arg_min(exposure_gene, (report_date, alteration_id)) as exposure_gene,
        arg_min(exposure_partner, (report_date, alteration_id)) as exposure_partner,
        min(report_date) as first_positive_report_date
    from exposure_events
    group by patient_id
),

drivers as (
    select patient_id, list_sort(list_distinct(list(gene))) as driver_genes_altered
    from alterations
    where list_contains($driver_genes, gene) and not list_contains($exposure_genes, gene) and is_functional
    group by patient_id
),

final as (
    select
        f.patient_id,
        f.first_report_date,
        f.n_reports,
        f.sample_type,
        case
            when e.patient_id is not null then 'positive'
            when f.patient_id in (select patient_id from assessed) then 'negative'
            else 'not_assessable'
        end as exposure_status,
        e.exposure_gene,
        e.exposure_partner,
        e.first_positive_report_date,
        d.patient_id is not null as has_driver_coalteration,
        coalesce(d.driver_genes_altered, []::varchar[]) as driver_genes_altered
    from first_report as f
    left join first_exposure as e on f.patient_id = e.patient_id
    left join drivers as d on f.patient_id = d.patient_id
)

select * from final
