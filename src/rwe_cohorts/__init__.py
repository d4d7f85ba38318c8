"""rwe-cohorts, the library: one package per pipeline stage over a small shared core; it never imports dagster.

``core`` (study spec, data contracts, warehouse access, run ledger and lock, small-cell suppression) is shared by
every stage. The stages, in the order a delivery passes through them: ``ingest`` (verify and land a delivery; its
sources ``ingest.synthetic`` and ``ingest.cbioportal``), ``quality`` (contract-driven data-quality checks),
``cohort`` (the SQL models and their parameters), ``matching`` (propensity score, greedy matching, balance),
``survival`` (Kaplan-Meier, Cox, diagnostics), ``report`` (the study report, Jinja2 templates) and ``publish`` (the
analysts' database). Each stage package holds its study-level step, the one function its Dagster assets call.
"""
