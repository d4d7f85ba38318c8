-- intermediate.patient_eligibility
-- grain: one row per patient in the delivery.
-- inputs: staging.demographics, staging.cancer_diagnosis, intermediate.patient_genomics, intermediate.patient_therapy,
--         intermediate.patient_baseline.
-- parameters: $min_age_years, $window_start_date, $window_end_date, $cancer_types, $exposed_label, $comparator_label.
-- One flag per eligibility criterion, evaluated independently; marts.attrition applies them in the published order.
-- is_adult: age at index >= $min_age_years; with no minimum age (0) a patient without an age passes too.
with patients as (
    select patient_id from staging.demographics
),

final as (
    select
        p.patient_id,
        d.cancer_type,
        d.advanced_diagnosis_date,
        g.first_report_date,
        coalesce(g.exposure_status, 'not_assessable') as exposure_status,
        case g.exposure_status
            when 'positive' then $exposed_label
            when 'negative' then $comparator_label
            else 'not assessable'
        end as arm,
        d.patient_id is not null and g.patient_id is not null as has_solid_tumour_and_report,
        coalesce(b.age_at_index_years >= $min_age_years, $min_age_years = 0) as is_adult,
        coalesce(d.advanced_diagnosis_date between $window_start_date and $window_end_date, false)
            as is_advanced_in_window,
        coalesce(len($cancer_types) = 0 or list_contains($cancer_types, d.cancer_type), false)
            as is_cancer_type_included,
        not coalesce(t.has_excluded_drug, false) as is_excluded_drug_naive,
        coalesce(g.exposure_status in ('positive', 'negative'), false) as is_exposure_assessable
    from patients as p
    left join staging.cancer_diagnosis as d on p.patient_id = d.patient_id
    left join intermediate.patient_genomics as g on p.patient_id = g.patient_id
    left join intermediate.patient_therapy as t on p.patient_id = t.patient_id
    left join intermediate.patient_baseline as b on p.patient_id = b.patient_id
)

select * from final
