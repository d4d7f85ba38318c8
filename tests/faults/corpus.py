"""A corpus of bad deliveries and bad study specs: each fault, how it is made, where the run must stop and what the
error must say.

Every fault is one entry of :data:`FAULTS`. It is made in one of three ways:

* a **hand edit** of a copy of a small clean delivery (``edit``: a function of the copied folder that damages it and
  returns the fragments it can only know once it has picked the rows it breaks: counts and example keys);
* a **generator defect profile** (``defect``):
  ``rwe_cohorts.ingest.synthetic.generate_delivery(..., defects={name: rate})`` with the clean delivery's size, seed
  and data cut date, so only the planted rows differ; the count and example keys come from the manifest's
  ``defects_injected`` record;
* a **bad study spec** (``spec_edit``): a function that breaks the test's study spec (a dict), written to its own
  YAML file; the delivery is a faithful copy of the clean one.

Each fault has its own data cut id (``fault-<name>``, folder ``cut_fault-<name>``): the manifest's ``data_cut_id``
is rewritten and every file the edit touches is re-sealed (its ``sha256`` and ``rows`` in the manifest made to agree
with the damaged file) unless the disagreement is the fault, so exactly one fault remains. The exception is
``repeated_cut_id``: a second folder claiming the clean delivery's own cut id.

Where the run must stop (``stage``):

===================  ==============================================================================================
``run_start``        the study resource's set-up (it loads the spec when the run starts): no step runs at all
``raw_tables``       the ingest step (manifest, checksums, row counts, columns and types): nothing materializes
``raw_quality``      the raw layer's blocking checks: only ``raw/*`` materializes
``staging_quality``  the staging layer's blocking checks: only ``raw/*`` and ``staging/*`` materialize
===================  ==============================================================================================

``fragments`` must all appear in the error: the step's failure message (ingest), the failed checks' ``summary``
metadata (quality) or the run failure (run start). A fragment given as a tuple is satisfied by any one of its
members (used for example keys: the check names up to three of the failing keys). ``failing`` lists the blocking
checks (``asset:check_name``) that must fail with ERROR severity, and no other.

``message_gap`` / ``stop_gap`` / ``lock_gap`` name a known product gap (the error lacks a fragment / the run does not
stop where it must / the run lock is still held when the failed run returns): the test that shows it is marked
``xfail(strict=True)`` with that reason, so the suite stays green until the product is fixed and then insists on
removing the mark.

``slow`` faults make the extended corpus (``pytest -m slow tests/faults``): each costs a Great Expectations run
(about 10 s), so the default run keeps one or two per kind of fault.

This module assembles :data:`FAULTS` from the faults by kind (``corpus_ingest.py``, ``corpus_quality.py``,
``corpus_spec.py``, in that order) and builds them on disk; the :class:`Fault` record and the hand edits' helpers are
in ``corpus_base.py``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from corpus_base import CLEAN_CUT, CLEAN_FOLDER, N_PATIENTS, SEED, Fault, Fragment, Name, Stage, rows_of, set_cut_id
from corpus_ingest import INGEST_FAULTS
from corpus_quality import RAW_QUALITY_FAULTS, STAGING_QUALITY_FAULTS
from corpus_spec import SPEC_FAULTS

from rwe_cohorts.ingest.synthetic import generate_delivery, read_manifest

__all__ = ["BY_NAME", "FAULTS", "Built", "Fault", "Fragment", "Name", "Stage", "build", "make_clean"]

# --------------------------------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------------------------------

# Product gaps found by this corpus, all since fixed (column names in check summaries, unreadable manifests named,
# undecodable Parquet pages reported per column, date-after-cut rules for ECOG, diagnosis codes and lines, the run lock
# released when the set-up fails). A new gap is recorded as a string here and passed as message_gap / stop_gap /
# lock_gap, which marks the affected test xfail(strict=True) until it is fixed.
FAULTS: tuple[Fault, ...] = (*INGEST_FAULTS, *RAW_QUALITY_FAULTS, *STAGING_QUALITY_FAULTS, *SPEC_FAULTS)

BY_NAME = {f.name: f for f in FAULTS}
assert len(BY_NAME) == len(FAULTS), "fault names are unique"


# --------------------------------------------------------------------------------------------------------------------
# Building the corpus
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """One fault made on disk: its data cut, delivery folder, spec file (spec faults) and every fragment."""

    fault: Fault
    folder: Path
    spec_path: Path | None
    fragments: tuple[Fragment, ...]


def make_clean(landing: Path) -> Path:
    folder = landing / CLEAN_FOLDER
    generate_delivery(folder, n_patients=N_PATIENTS, seed=SEED)
    assert read_manifest(folder).data_cut_id == CLEAN_CUT
    return folder


def _generator_fragments(fault: Fault, folder: Path) -> list[Fragment]:
    """Count and example keys of a generator defect, from the manifest's record of what was planted."""
    manifest = read_manifest(folder)
    (record,) = manifest.defects_injected
    if fault.stage == "raw_tables":
        return []
    assert 0 < record.rows <= 5, f"{fault.name}: {record.rows} rows planted; lower the rate so every key is known"
    failing = record.rows * (2 if record.defect == "duplicate_keys" else 1)
    total = manifest.table(record.table).rows
    examples = list(record.example_keys)
    if record.defect == "unknown_code":  # the manifest keeps the code as it was before the defect replaced it
        examples = ["|".join([*k.split("|")[:2], "ZZZ.9"]) for k in examples]
    return [rows_of(failing, total), tuple(examples)]


def build(fault: Fault, landing: Path, clean: Path, spec: dict[str, Any], spec_dir: Path) -> Built:
    """Make the fault's delivery folder under ``landing`` (and its spec file for spec faults); a spec fault's
    delivery is a faithful copy of the clean one under its own data cut id."""
    folder = landing / fault.folder_name
    spec_path: Path | None = None
    extra: list[Fragment] = []
    if fault.defect is not None:
        name, rate = fault.defect
        generate_delivery(folder, n_patients=N_PATIENTS, seed=SEED, defects={name: rate})
        set_cut_id(folder, fault.cut)
        extra = _generator_fragments(fault, folder)
    else:
        shutil.copytree(clean, folder, ignore=shutil.ignore_patterns("truth"))
        if fault.name != "repeated_cut_id":
            set_cut_id(folder, fault.cut)
        if fault.edit is not None:
            extra = fault.edit(folder)
        if fault.spec_edit is not None:  # every spec error names the file and counts the errors
            extra = ["invalid study spec", f"{fault.name}.yaml", "1 error(s)"]
            bad = json.loads(json.dumps(spec, default=str))
            fault.spec_edit(bad)
            spec_path = spec_dir / f"{fault.name}.yaml"
            spec_path.write_text(yaml.safe_dump(bad, sort_keys=False))
    return Built(fault, folder, spec_path, (*fault.fragments, *extra))
