-- intermediate.patient_therapy
-- grain: one row per patient with a cancer diagnosis.
-- inputs: staging.cancer_diagnosis, staging.lines_of_therapy, intermediate.patient_genomics.
-- parameters: $excluded_drugs.
-- Excluded-drug exposure (the spec's list, e.g. TRK inhibitors) at any time; lines started between initial diagnosis
-- and the first NGS report (inclusive); start of the last line started on or before the first report (sensitivity
-- index date).
with diagnosis as (
    select * from staging.cancer_diagnosis
),

lines as (
    select * from staging.lines_of_therapy
),

genomics as (
    select * from intermediate.patient_genomics
),

per_patient as (
    select
        l.patient_id,
        bool_or(len(list_intersect(l.drug_names, $excluded_drugs)) > 0) as has_excluded_drug,
        min(l.start_date) filter (where len(list_intersect(l.drug_names, $excluded_drugs)) > 0)
            as first_excluded_drug_date,
        count(*) filter (
            where l.start_date >= d.initial_diagnosis_date and l.start_date <= g.first_report_date
        ) as n_lines_before_report,
        max(l.start_date) filter (where l.start_date <= g.first_report_date) as last_line_before_report_date,
        count(*) as n_lines
    from lines as l
    inner join diagnosis as d on l.patient_id = d.patient_id
    left join genomics as g on l.patient_id = g.patient_id
    group by l.patient_id
),

final as (
    select
        d.patient_id,
        coalesce(p.has_excluded_drug, false) as has_excluded_drug,
        p.first_excluded_drug_date,
        coalesce(p.n_lines_before_report, 0) as n_lines_before_report,
        p.last_line_before_report_date,
        coalesce(p.n_lines, 0) as n_lines
    from diagnosis as d
    left join per_patient as p on d.patient_id = p.patient_id
)

select * from final
