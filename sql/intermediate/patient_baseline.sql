-- intermediate.patient_baseline
-- grain: one row per patient with a cancer diagnosis.
-- inputs: staging.demographics, staging.cancer_diagnosis, staging.practice, staging.ecog, staging.diagnosis_codes.
-- parameters: $ecog_window_days_before, $ecog_window_days_after, $brain_metastasis_codes.
-- Index date here is the advanced diagnosis (initial diagnosis when never advanced). Age uses birth year only
-- (mid-year, 1 July, imputed). Baseline ECOG: the assessment closest to the index date within the window (ties:
-- the earlier one); practice type: academic if any practice is academic.
with diagnosis as (
    select *, coalesce(advanced_diagnosis_date, initial_diagnosis_date) as index_date
    from staging.cancer_diagnosis
),

ecog_ranked as (
    select
        e.patient_id,
        e.ecog_value,
        row_number() over (
            partition by e.patient_id order by abs(datediff('day', d.index_date, e.ecog_date)), e.ecog_date
        ) as rank_in_window
    from staging.ecog as e
    inner join diagnosis as d on e.patient_id = d.patient_id
    where e.ecog_date between d.index_date - to_days($ecog_window_days_before)
        and d.index_date + to_days($ecog_window_days_after)
),

practice as (
    select patient_id, case when bool_or(practice_type = 'academic') then 'academic' else 'community' end
        as practice_type
    from staging.practice
    group by patient_id
),

brain as (
    select c.patient_id
    from staging.diagnosis_codes as c
    inner join diagnosis as d on c.patient_id = d.patient_id
    where list_contains($brain_metastasis_codes, c.diagnosis_code) and c.diagnosis_date <= d.index_date
    group by c.patient_id
),

final as (
    select
        d.patient_id,
        dm.sex,
        dm.race,
        dm.ethnicity,
        dm.birth_year,
        datediff('day', make_date(dm.birth_year, 7, 1), d.index_date) / 365.25 as age_at_index_years,
        coalesce(p.practice_type, 'unknown') as practice_type,
        coalesce(cast(e.ecog_value as varchar), 'unknown') as ecog_baseline,
        b.patient_id is not null as has_brain_metastases
    from diagnosis as d
    inner join staging.demographics as dm on d.patient_id = dm.patient_id
    left join practice as p on d.patient_id = p.patient_id
    left join ecog_ranked as e on d.patient_id = e.patient_id and e.rank_in_window = 1
    left join brain as b on d.patient_id = b.patient_id
)

select * from final
