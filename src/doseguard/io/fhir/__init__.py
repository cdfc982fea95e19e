"""FHIR R4 input: MedicationRequest resources (alone, in a Bundle, or one per line of Bulk Data NDJSON)
mapped onto the order record the checker reads.

Plain ``Mapping`` access, validating only the elements read, every problem named by its FHIR path;
no FHIR model library (measured too slow: docs/decisions/fhir-mapping.md, which also gives the
mapping field by field and what is refused). ``terminology`` holds the code tables, ``mapper`` maps
one resource, ``timing`` reads its Timing, ``bundle`` splits a Bundle and indexes its references.
"""

from doseguard.errors import FhirMappingError
from doseguard.io.fhir.bundle import (
    AMBIGUOUS,
    CONTEXT_TYPES,
    bundle_items,
    index_resources,
)
from doseguard.io.fhir.mapper import fhir_record, medication_request_to_record

__all__ = [
    "AMBIGUOUS",
    "CONTEXT_TYPES",
    "FhirMappingError",
    "bundle_items",
    "fhir_record",
    "index_resources",
    "medication_request_to_record",
]
