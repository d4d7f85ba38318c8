-- Attrition (CONSORT flow) per arm in step order: latest published data cut.
-- Patients remaining after each eligibility step and removed by it, ending with the matched cohort. Counts are
-- shown as published: "<11" when small-cell suppressed, including the complementary cells suppressed so that a
-- hidden count cannot be recovered as remaining(previous step) - remaining(this step).
-- Run: uv run rwe sql docs/queries/attrition.sql
select
    a.data_cut_id,
    a.arm,
    a.step_order,
    a.step,
    a.description,
    a.patients_remaining_display,
    a.patients_removed_display
from latest.attrition as a
order by
    a.arm = (select any_value(h.exposed_label) from latest.hazard_ratios as h where h.analysis = 'primary') desc,
    a.arm,
    a.step_order
