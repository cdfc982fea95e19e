"""Read order records from CSV, JSON Lines, JSON arrays and FHIR (files, ``.gz`` files or stdin).

Reading is lazy and never stops at a bad record: a line or row that cannot be read becomes an
:class:`InputRecord` with an ``error``, reported in its place. The cutting into chunks is shared with
the parallel batch path (:mod:`doseguard.io.chunk_reader`), and so is the mapping of a chunk's items
into records (:func:`records_of`, the format's mapper), so both read exactly the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.chunks import Chunk
from doseguard.io.formats import format_of_chunk, input_format
from doseguard.io.json_records import object_record, record_of_line
from doseguard.io.json_text import checked_document
from doseguard.io.streams import STDIN, without_bom
from doseguard.records import InputRecord

if TYPE_CHECKING:
    from doseguard.errors import HistoryProblem
    from doseguard.orders.drugs import DrugEntry

__all__ = [
    "STDIN",
    "input_format",
    "object_record",
    "read_fhir_bundle",
    "read_fhir_ndjson",
    "read_input",
    "read_inputs",
    "record_of_line",
    "records_of",
]


def read_inputs(paths: Iterable[str]) -> Iterator[InputRecord]:
    """Records of every input, in order. Raises :class:`InputError` for a file that cannot be opened."""
    for chunk in ChunkReader(list(paths)):
        yield from records_of(chunk)


def read_input(path: str) -> Iterator[InputRecord]:
    """Records of one input ('-' for stdin)."""
    return read_inputs([path])


def records_of(chunk: Chunk) -> Iterator[InputRecord]:
    """The input records of one chunk, in order, one per record the chunk counts."""
    return format_of_chunk(chunk).records(chunk)


def read_fhir_bundle(
    name: str,
    data: Any,
    drugs: Iterable[DrugEntry] | Mapping[str, str] = (),
    on_history_problem: Callable[[HistoryProblem], None] = lambda problem: None,
) -> Iterator[InputRecord]:
    """One record per entry of a Bundle that is not context (see :data:`CONTEXT_TYPES`), in entry
    order (source ``name:entry[i]``), each with its patient's context from the Bundle (the packs'
    ``drugs`` name its administrations; each context resource not used goes to
    ``on_history_problem``); a lone MedicationRequest is read as a Bundle of one.

    This is how ``doseguard check`` reads a Bundle: its main process splits it with
    :func:`bundle_items` and its workers map each item with :func:`records_of`'s
    mapping, which is what this does in one place.
    """
    from doseguard.io.fhir.bundle import bundle_items  # noqa: PLC0415 (FHIR loads only when needed)
    from doseguard.io.fhir.elements import MEDICATION_REQUEST, OBJECT  # noqa: PLC0415

    if isinstance(data, OBJECT) and data.get("resourceType") == MEDICATION_REQUEST:
        yield object_record(name, checked_document(data), None)
        return
    if isinstance(data, OBJECT) and data.get("resourceType") not in (None, "Bundle"):
        kind = data.get("resourceType")
        yield InputRecord(
            name, error=f"expected a FHIR Bundle of MedicationRequests, got resourceType {kind!r}"
        )
        return
    from doseguard.io.fhir.bundle_context import attach_context, bundle_context  # noqa: PLC0415

    items, index = bundle_items(name, data)
    patients = bundle_context(name, data, items, index, drugs) if isinstance(data, OBJECT) else None
    for problem in patients.problems if patients is not None else ():
        on_history_problem(problem)
    for source, value in items:
        yield attach_context(object_record(source, value, index), patients)


def read_fhir_ndjson(name: str, lines: Iterable[str | bytes]) -> Iterator[InputRecord]:
    """FHIR Bulk Data NDJSON: one resource per line (source ``name:line``); blank lines skipped.

    Each line is read as ``doseguard check`` reads a JSON line (:func:`record_of_line`):
    references resolve to its contained resources only, and a line that is not a MedicationRequest is
    reported, not skipped.
    """
    for number, raw in enumerate(lines, start=1):
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
        if number == 1:
            data = without_bom(data)
        if data.strip():
            yield record_of_line(f"{name}:{number}", data)
