-- staging.genomic_reports
-- grain: one row per NGS report. inputs: raw.genomic_reports. parameters: none.
with source as (
    select * from raw.genomic_reports
),

final as (
    select
        report_id,
        patient_id,
        sample_id,
        specimen_collected_date,
        report_date,
        assay,
        panel_version,
        lower(specimen_type) as specimen_type,
        lower(sample_type) as sample_type
    from source
)

select * from final
