"""A second source: public cBioPortal studies converted into the pipeline's raw delivery format.

``convert_cbioportal_study(study_dir, out_dir, strictness=...)`` reads a study folder as published (clinical files,
structural variants in either ``data_sv.txt`` layout or ``data_fusions.txt``, case lists, timelines), calls NTRK
fusions at the study spec's strictness, synthesises dates from cBioPortal's relative times, and writes one Parquet
file per raw table plus ``manifest.json``, so ingest, the quality checks and every model downstream run unchanged.
The conventions are in the module docstrings (``tsv``, ``fusions``, ``timeaxis``, ``ages``, ``oncotree``, ``tables``,
``attrition``, ``genomics``, ``vocab``) and in ``docs/cbioportal.md``.
"""

from rwe_cohorts.ingest.cbioportal.convert import (
    age_required,
    conversion_options,
    convert_cbioportal_study,
    land_cbioportal_study,
)
from rwe_cohorts.ingest.cbioportal.errors import CbioportalStudyError
from rwe_cohorts.ingest.cbioportal.fusions import (
    NTRK_GENES,
    EventCall,
    Frame,
    FusionStrictness,
    SampleCall,
    SampleStatus,
    SvEvent,
    call_samples,
    classify_event,
)
from rwe_cohorts.ingest.cbioportal.reader import CbioportalStudy, read_study
from rwe_cohorts.ingest.cbioportal.summary import ConversionSummary, read_source_summary
from rwe_cohorts.ingest.cbioportal.tables import PLACEHOLDER_ID

__all__ = [
    "NTRK_GENES",
    "PLACEHOLDER_ID",
    "CbioportalStudy",
    "CbioportalStudyError",
    "ConversionSummary",
    "EventCall",
    "Frame",
    "FusionStrictness",
    "SampleCall",
    "SampleStatus",
    "SvEvent",
    "age_required",
    "call_samples",
    "classify_event",
    "conversion_options",
    "convert_cbioportal_study",
    "land_cbioportal_study",
    "read_source_summary",
    "read_study",
]
