-- intermediate.cohort_covariate_values  (patient-level: restricted)
-- grain: one row per patient of marts.analytic_cohort and baseline covariate (the Table 1 covariates, long form).
-- inputs: marts.analytic_cohort.
-- parameters: $older_age_years.
-- Categorical covariates carry a level (null becomes 'unknown'; booleans 'yes' / 'no'; ECOG grouped 0-1 / 2-4 /
-- unknown; age grouped at $older_age_years; index year as its own level); continuous ones a value. Built after the
-- analytic cohort because it describes exactly the eligible patients; marts.baseline_characteristics aggregates it.
with cohort as (
    select * from marts.analytic_cohort
),

categorical as (
    select patient_id, is_exposed, covariate, level
    from (
        select
            patient_id,
            is_exposed,
            case
                when age_at_index_years is null then 'unknown'
                when age_at_index_years >= $older_age_years then '>= ' || cast($older_age_years as varchar)
                else '< ' || cast($older_age_years as varchar)
            end as age_group,
            coalesce(sex, 'unknown') as sex,
            race,
            cancer_type,
            stage_group,
            smoking_status,
            practice_type,
            case
                when ecog_baseline in ('0', '1') then '0-1'
                when ecog_baseline in ('2', '3', '4') then '2-4'
                else 'unknown'
            end as ecog_baseline,
            case when has_brain_metastases then 'yes' else 'no' end as has_brain_metastases,
            case when has_driver_coalteration then 'yes' else 'no' end as has_driver_coalteration,
            cast(index_year as varchar) as index_year
        from cohort
    ) as wide
    unpivot (
        level for covariate in (
            age_group, sex, race, cancer_type, stage_group, smoking_status, practice_type, ecog_baseline,
            has_brain_metastases, has_driver_coalteration, index_year
        )
    )
),

continuous as (
    select patient_id, is_exposed, covariate, value
    from (
        select
            patient_id,
            is_exposed,
            age_at_index_years,
            cast(n_lines_before_report as double) as n_lines_before_report,
            months_index_to_report
        from cohort
    ) as wide
    unpivot (value for covariate in (age_at_index_years, n_lines_before_report, months_index_to_report))
),

stacked as (
    select patient_id, is_exposed, covariate, 'categorical' as kind, level, cast(null as double) as value
    from categorical
    union all
    select patient_id, is_exposed, covariate, 'continuous', null, value
    from continuous
),

final as (
    select
        patient_id,
        is_exposed,
        cast(list_position([
            'age_at_index_years', 'age_group', 'sex', 'race', 'cancer_type', 'stage_group', 'smoking_status',
            'practice_type', 'ecog_baseline', 'has_brain_metastases', 'n_lines_before_report',
            'months_index_to_report', 'has_driver_coalteration', 'index_year'
        ], covariate) as integer) as covariate_order,
        covariate,
        kind,
        level,
        value
    from stacked
)

select * from final order by patient_id, covariate_order
