"""The FHIR package's public face: its names import from ``doseguard.io.fhir``, its error lives in the
one error hierarchy, and each module keeps to one job (and under the size limit)."""

from __future__ import annotations

from doseguard.errors import FhirMappingError, InvalidOrderError
from doseguard.io import fhir


def test_public_names_import_from_the_package() -> None:
    for name in fhir.__all__:
        assert getattr(fhir, name) is not None
    assert fhir.FhirMappingError is FhirMappingError


def test_the_mapping_error_is_an_invalid_order_error_of_errors_py() -> None:
    assert issubclass(FhirMappingError, InvalidOrderError)
    assert FhirMappingError.__module__ == "doseguard.errors"
    error = FhirMappingError([], {"order_id": "MR-1"})
    assert error.record == {"order_id": "MR-1"}
