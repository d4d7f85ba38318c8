-- marts.attrition
-- grain: one row per eligibility step and arm, the last step being the matched cohort.
-- inputs: intermediate.patient_eligibility, intermediate.cohort_time_axes, marts.matched_cohort.
-- parameters: $excluded_drugs (named in the step description, so the table reads right for any study).
-- Criteria are applied cumulatively in the published order; patients_removed is relative to the previous step.
with p as (
    select
        e.*,
        coalesce(a.is_contributor, false) as is_contributor
    from intermediate.patient_eligibility as e
    left join intermediate.cohort_time_axes as a
        on e.patient_id = a.patient_id and a.index_rule = 'advanced_diagnosis'
),

cumulative as (
    select
        arm,
        true as s1,
        has_solid_tumour_and_report as s2,
        has_solid_tumour_and_report and is_adult as s3,
        has_solid_tumour_and_report and is_adult and is_advanced_in_window as s4,
        has_solid_tumour_and_report and is_adult and is_advanced_in_window and is_cancer_type_included as s5,
        has_solid_tumour_and_report and is_adult and is_advanced_in_window and is_cancer_type_included
            and is_excluded_drug_naive as s6,
        has_solid_tumour_and_report and is_adult and is_advanced_in_window and is_cancer_type_included
            and is_excluded_drug_naive and is_exposure_assessable as s7,
        has_solid_tumour_and_report and is_adult and is_advanced_in_window and is_cancer_type_included
            and is_excluded_drug_naive and is_exposure_assessable and is_contributor as s8,
        patient_id in (select patient_id from marts.matched_cohort) as s9
    from p
),

steps as (
    select * from (values
        (1, 'all_patients', 'All patients in the delivery'),
        (2, 'solid_tumour_with_ngs', 'Solid tumour with at least one NGS report'),
        (3, 'adult', 'Adult at advanced diagnosis'),
        (4, 'advanced_in_window', 'Advanced diagnosis within the study window'),
        (5, 'cancer_type', 'Cancer type included by the study'),
        (6, 'excluded_drug_naive', 'Never treated with an excluded drug: ' || array_to_string($excluded_drugs, ', ')),
        (7, 'exposure_assessable', 'Exposure genes covered by an NGS panel (not tested is not negative)'),
        (8, 'follow_up_after_entry', 'Follow-up continues after entry (exit after first NGS report)'),
        (9, 'matched', 'In the propensity-score matched cohort')
    ) as s(step_order, step, description)
),

counts as (
    select s.step_order, s.step, s.description, c.arm,
        count(*) filter (where case s.step_order
            when 1 then c.s1 when 2 then c.s2 when 3 then c.s3 when 4 then c.s4
            when 5 then c.s5 when 6 then c.s6 when 7 then c.s7 when 8 then c.s8 else c.s9 end) as patients_remaining
    from steps as s
    cross join cumulative as c
    group by all
),

final as (
    select
        step_order,
        step,
        description,
        arm,
        patients_remaining,
        coalesce(lag(patients_remaining) over (partition by arm order by step_order) - patients_remaining, 0)
            as patients_removed
    from counts
)

select * from final order by step_order, arm
