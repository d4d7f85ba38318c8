-- Data-quality summary of the latest published data cut: rules and failures per table, failed rules named.
-- One row per table checked (raw and staging layers, one Dagster check each) in the published run: rules evaluated
-- (one expectation each, as the Data Docs list them), failed rules of severity error (blocking) and warn
-- (reported), and each failed rule with its failing rows as published ("<11" when small-cell suppressed). Tables with failures first. Example keys are withheld here: see docs/qa.md.
-- Run: uv run rwe sql docs/queries/qa_summary.sql
select
    s.data_cut_id,
    s.run_id,
    s.relation,
    cast(sum(s.n_checks) as bigint) as rules,
    cast(coalesce(sum(s.n_failed) filter (where s.severity = 'error'), 0) as bigint) as rules_failed_error,
    cast(coalesce(sum(s.n_failed) filter (where s.severity <> 'error'), 0) as bigint) as rules_failed_warn,
    any_value(f.failed_rules) as failed_rules
from latest.qa_summary as s
left join (
    select
        run_id,
        relation,
        string_agg(
            rule || ' [' || severity || ', ' || coalesce(unexpected_count_display, '?') || ' rows]', '; '
            order by rule
        ) as failed_rules
    from latest.expectation_results
    where not passed
    group by run_id, relation
) as f on f.run_id = s.run_id and f.relation = s.relation
where s.run_id = (
    select r.run_id
    from latest.study_runs as r
    where r.is_published and r.status = 'succeeded'
    order by r.finished_at desc
    limit 1
)
group by s.data_cut_id, s.run_id, s.relation
order by rules_failed_error desc, rules_failed_warn desc, s.relation
