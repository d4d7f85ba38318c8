-- marts.baseline_characteristics  (Table 1; aggregate)
-- grain: one row per covariate level (categorical) or per covariate (continuous), plus one row of arm sizes.
-- inputs: intermediate.cohort_covariate_values, marts.analytic_cohort.
-- parameters: $exposed_label, $comparator_label.
-- The exposed arm versus every eligible comparator (before matching). Categorical: n and % of the arm per level;
-- continuous: n, median and IQR (quantile_cont: linear interpolation, R type 7), mean and sample SD (ddof = 1).
-- Standardized mean difference, exposed (1) minus comparator (0): continuous (m1 - m0) / sqrt((s1^2 + s0^2) / 2);
-- each categorical level as a binary (p1 - p0) / sqrt((p1 (1 - p1) + p0 (1 - p0)) / 2), p the share of the arm.
-- A zero denominator gives 0 when the arms agree and null otherwise (also null when an SD is undefined).
with covariate_values as (
    select * from intermediate.cohort_covariate_values
),

arm_sizes as (
    select count(*) filter (where is_exposed) as n1, count(*) filter (where not is_exposed) as n0
    from marts.analytic_cohort
),

levels as (
    select
        v.covariate_order,
        v.covariate,
        v.level,
        count(*) filter (where v.is_exposed) / any_value(a.n1) as p1,
        count(*) filter (where not v.is_exposed) / any_value(a.n0) as p0,
        count(*) filter (where v.is_exposed) as n_exposed,
        count(*) filter (where not v.is_exposed) as n_comparator
    from covariate_values as v
    cross join arm_sizes as a
    where v.kind = 'categorical'
    group by all
),

continuous as (
    select
        covariate_order,
        covariate,
        count(value) filter (where is_exposed) as n_exposed,
        count(value) filter (where not is_exposed) as n_comparator,
        quantile_cont(value, 0.5) filter (where is_exposed) as median_exposed,
        quantile_cont(value, 0.25) filter (where is_exposed) as q1_exposed,
        quantile_cont(value, 0.75) filter (where is_exposed) as q3_exposed,
        quantile_cont(value, 0.5) filter (where not is_exposed) as median_comparator,
        quantile_cont(value, 0.25) filter (where not is_exposed) as q1_comparator,
        quantile_cont(value, 0.75) filter (where not is_exposed) as q3_comparator,
        avg(value) filter (where is_exposed) as mean_exposed,
        avg(value) filter (where not is_exposed) as mean_comparator,
        stddev_samp(value) filter (where is_exposed) as sd_exposed,
        stddev_samp(value) filter (where not is_exposed) as sd_comparator
    from covariate_values
    where kind = 'continuous'
    group by all
),

differences as (
    -- one column list for the three row kinds (portable SQL: no union by name); absent statistics are null
    select
        0 as covariate_order, 'patients' as covariate, cast(null as varchar) as level, 'count' as kind,
        n1 as n_exposed, n0 as n_comparator, cast(100.0 as double) as pct_exposed,
        cast(100.0 as double) as pct_comparator,
        cast(null as double) as median_exposed, cast(null as double) as q1_exposed,
        cast(null as double) as q3_exposed, cast(null as double) as mean_exposed, cast(null as double) as sd_exposed,
        cast(null as double) as median_comparator, cast(null as double) as q1_comparator,
        cast(null as double) as q3_comparator, cast(null as double) as mean_comparator,
        cast(null as double) as sd_comparator,
        cast(null as double) as diff, cast(null as double) as denominator
    from arm_sizes
    union all
    select
        covariate_order, covariate, level, 'categorical', n_exposed, n_comparator, 100 * p1, 100 * p0,
        null, null, null, null, null, null, null, null, null, null,
        p1 - p0, sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    from levels
    union all
    select
        covariate_order, covariate, null, 'continuous', n_exposed, n_comparator, null, null,
        median_exposed, q1_exposed, q3_exposed, mean_exposed, sd_exposed,
        median_comparator, q1_comparator, q3_comparator, mean_comparator, sd_comparator,
        mean_exposed - mean_comparator, sqrt((sd_exposed ^ 2 + sd_comparator ^ 2) / 2)
    from continuous
),

final as (
    select
        cast(row_number() over (order by covariate_order, lower(level) = 'unknown', level) as integer) as row_order,
        covariate,
        level,
        kind,
        $exposed_label as exposed_arm,
        $comparator_label as comparator_arm,
        n_exposed,
        pct_exposed,
        n_comparator,
        pct_comparator,
        median_exposed, q1_exposed, q3_exposed, mean_exposed, sd_exposed,
        median_comparator, q1_comparator, q3_comparator, mean_comparator, sd_comparator,
        case when denominator > 0 then diff / denominator when denominator = 0 and diff = 0 then 0.0 end as smd
    from differences
)

select * from final order by row_order
