"""Synthetic Flatiron-Foundation Medicine clinico-genomic database (CGDB) with a planted, known truth.

``generate_delivery`` writes one Parquet file per raw table (schemas fixed by ``data_contracts/raw/*.yaml``), a
``manifest.json`` and the truth under ``truth/``. What is planted (parameters in :mod:`.catalog`, :mod:`.genes`,
:mod:`.care_catalog`; every value also recorded in ``truth/truth.json``):

* about 20 cancer types with CGDB-like shares; NTRK1/2/3 fusions with real partners at ~0.1-0.2% overall, enriched
  in thyroid, salivary gland, soft-tissue sarcoma and other rare types; canonical drivers nearly exclusive with them;
* a Weibull proportional-hazards survival model from the advanced diagnosis with the NTRK hazard ratio
  ``hazard_ratio`` (optionally informative entry: hazard x exp(``informative_entry`` x months to first report));
* selection into the database at the first NGS report (left truncation): for 45% of recurrent NTRK+ patients
  (diagnostic sequencing) and 6% of other recurrent patients the report is on the biopsy of the recurrence, up to 4
  months before the advanced diagnosis (entry at t = 0); for the rest a right-skewed delay, late for NTRK+ patients
  (median ~9 months: profiling once standard therapy fails) and soon for the others (median ~2 months);
* NTRK-enriched rare types (thyroid, salivary gland, sarcoma) with ordinary advanced-disease survival, so matching
  on the cancer type does not give the comparators long survival;
* panels that change over time (a gene or intron not baited is not tested), TRK-inhibitor use after 2017,
  month-precision death dates with ~10% of deaths never captured, censoring at the last activity;
* optional named defects (:mod:`.defects`) recorded in the manifest.

Calibrated so that the study's criteria on the default delivery (58,001 patients, seed 20220801) leave about 28
eligible NTRK+ and 24,900 eligible NTRK- patients with a delayed-entry median OS near 10 months in both arms.
"""

from rwe_cohorts.ingest.synthetic.defects import REGISTRY as DEFECTS
from rwe_cohorts.ingest.synthetic.delivery import BLOCK_PATIENTS, DeliveryExistsError, generate_delivery
from rwe_cohorts.ingest.synthetic.manifest import DeliveryManifest, ManifestError, read_manifest

__all__ = [
    "BLOCK_PATIENTS",
    "DEFECTS",
    "DeliveryExistsError",
    "DeliveryManifest",
    "ManifestError",
    "generate_delivery",
    "read_manifest",
]
