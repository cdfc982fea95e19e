"""The FHIR package's public face: its names import from ``doseguard.io.fhir``, its error lives in the
one error hierarchy, and each module keeps to one job (and under the size limit)."""

from __future__ import annotations

from pathlib import Path

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


def test_no_module_of_the_package_is_over_700_lines() -> None:
    folder = Path(fhir.__file__).parent
    sizes = {path.name: len(path.read_text(encoding="utf-8").splitlines()) for path in folder.glob("*.py")}
    assert {"terminology.py", "mapper.py", "timing.py", "bundle.py"} <= sizes.keys()
    assert max(sizes.values()) <= 700, sizes
