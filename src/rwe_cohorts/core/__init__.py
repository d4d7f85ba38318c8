"""The shared core every stage uses: the study spec (``spec``), data contracts (``contracts``), DuckDB warehouse
access and SQL models (``warehouse``), the run ledger (``ledger``), the run lock (``runlock``) and small-cell
suppression of aggregates (``suppression``). Nothing here depends on a stage package."""
