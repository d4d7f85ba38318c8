-- The run ledger: the 20 most recent study runs recorded in the published database, newest first.
-- Status is started, succeeded, failed or interrupted (killed, found unfinished by the next run); is_published says
-- whether the run published this database. The published ledger holds each cut's runs up to its last publication:
-- a failed run leaves the database unchanged, so a later failure shows only in `rwe status`, the Dagster UI and the
-- cut's warehouse (data/warehouse/<cut>.duckdb, marts.study_runs).
-- Run: uv run rwe sql docs/queries/run_ledger.sql
select
    data_cut_id,
    data_cut_date,
    run_id,
    status,
    is_published,
    launched_by,
    started_at,
    finished_at,
    date_diff('second', started_at, finished_at) as duration_s,
    failed_steps,
    study_id,
    left(spec_hash, 12) as spec_hash_12,
    code_version
from marts.study_runs
order by started_at desc
limit 20
