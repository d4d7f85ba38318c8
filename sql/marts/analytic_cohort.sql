-- marts.analytic_cohort  (patient-level: restricted to analysts with patient-level access)
-- grain: one row per eligible patient (every eligibility step passed, exposure assessable, follow-up after entry).
-- inputs: intermediate.patient_eligibility, intermediate.patient_genomics, intermediate.patient_therapy,
--         intermediate.patient_baseline, intermediate.patient_outcomes, intermediate.cohort_time_axes,
--         staging.cancer_diagnosis.
-- parameters: $exposed_label, $days_per_month.
-- Carries the primary time axis (index = advanced diagnosis); other index rules are in intermediate.cohort_time_axes.
with eligible as (
    select * from intermediate.patient_eligibility
    where has_solid_tumour_and_report and is_adult and is_advanced_in_window and is_cancer_type_included
        and is_excluded_drug_naive and is_exposure_assessable
),

final as (
    select
        e.patient_id,
        e.arm,
        e.arm = $exposed_label as is_exposed,
        e.cancer_type,
        b.age_at_index_years,
        d.smoking_status,
        b.practice_type,
        t.n_lines_before_report,
        d.stage_group,
        datediff('day', d.advanced_diagnosis_date, g.first_report_date) / $days_per_month as months_index_to_report,
        g.has_driver_coalteration,
        g.sample_type,
        g.exposure_gene,
        g.exposure_partner,
        b.ecog_baseline,
        b.has_brain_metastases,
        b.sex,
        b.race,
        year(d.advanced_diagnosis_date) as index_year,
        a.index_date,
        g.first_report_date,
        o.death_date,
        o.censor_date,
        o.is_death_date_reconciled,
        a.entry_days,
        a.exit_days,
        a.entry_months,
        a.exit_months,
        a.is_event
    from eligible as e
    inner join intermediate.cohort_time_axes as a
        on e.patient_id = a.patient_id and a.index_rule = 'advanced_diagnosis' and a.is_contributor
    inner join staging.cancer_diagnosis as d on e.patient_id = d.patient_id
    inner join intermediate.patient_genomics as g on e.patient_id = g.patient_id
    inner join intermediate.patient_therapy as t on e.patient_id = t.patient_id
    inner join intermediate.patient_baseline as b on e.patient_id = b.patient_id
    inner join intermediate.patient_outcomes as o on e.patient_id = o.patient_id
)

select * from final order by patient_id
