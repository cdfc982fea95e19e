"""JSON (``.json``): an array of orders, streamed element by element, or one object: an order, or a
FHIR Bundle (read whole, split by :func:`doseguard.io.fhir.bundle_items`)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import IO, Any

from doseguard.errors import InputError
from doseguard.io.chunks import Chunk, ChunkKind, Cutter, cut_into_chunks
from doseguard.io.json_array import array_items
from doseguard.io.json_records import kind_of, object_record
from doseguard.io.json_text import checked_document, load_clean, not_utf8
from doseguard.io.streams import Counted, refuse_utf16, without_bom
from doseguard.records import InputRecord


def sniff(start: bytes) -> bool:
    """A stream starting with ``[``: a JSON array."""
    return start.startswith(b"[")


def read_chunks(cutter: Cutter, name: str, stream: IO[bytes]) -> Iterator[Chunk]:
    """A JSON array of orders (streamed), or one object: an order or a FHIR Bundle (read whole)."""
    head = without_bom(stream.read(4096))
    refuse_utf16(name, head)
    rest = io.BufferedReader(Counted(stream, head)) if head else stream
    if not sniff(head.lstrip()):
        document, clean = _load_document(name, head + stream.read())
        cutter.progress()
        if isinstance(document, dict) and document.get("resourceType") == "Bundle":
            yield from _bundle(cutter, name, document, clean)
        elif isinstance(document, dict):
            whole = (f"{name}:[1]", document if clean else checked_document(document))
            yield cutter.chunk(ChunkKind.OBJECTS, name, [whole])
        else:
            raise InputError(name, f"expected a JSON array of orders, got {kind_of(document)}")
        return
    items = ((f"{name}:[{index}]", item) for index, item in enumerate(array_items(rest), start=1))
    yield from cut_into_chunks(cutter, ChunkKind.OBJECTS, name, items)


def records(chunk: Chunk) -> Iterator[InputRecord]:
    """Each (source, value) item as a record; a Bundle's entries with the Bundle's other resources,
    and each order with its patient's context from the Bundle."""
    resources = chunk.context.get("resources")
    patients = chunk.context.get("patients")
    if patients is None:
        for source, value in chunk.items:
            yield object_record(source, value, resources)
        return
    from doseguard.io.fhir.bundle_context import attach_context  # noqa: PLC0415 (FHIR loads only when needed)

    for source, value in chunk.items:
        yield attach_context(object_record(source, value, resources), patients)


def _bundle(cutter: Cutter, name: str, bundle: dict[str, Any], clean: bool) -> Iterator[Chunk]:
    """The Bundle's entries as :func:`doseguard.io.fhir.bundle_items` splits them (the splitter
    ``read_fhir_bundle`` and its tests use), mapped in the workers."""
    from doseguard.io.fhir import bundle_items  # noqa: PLC0415 (FHIR loads only when needed)
    from doseguard.io.fhir.bundle_context import bundle_context  # noqa: PLC0415

    requests, resources = bundle_items(name, bundle, clean=clean)
    patients = bundle_context(name, bundle, requests, resources, cutter.drugs, cutter.next_record)
    for problem in patients.problems:
        cutter.history_problem(problem)
    for start in range(0, len(requests), cutter.chunk_records):
        part = requests[start : start + cutter.chunk_records]
        mine = patients.only(patients.order_patients.get(source, "") for source, _ in part)
        context = {"resources": resources, "patients": mine}
        yield cutter.chunk(ChunkKind.OBJECTS, name, part, context=context)


def _load_document(name: str, data: bytes) -> tuple[Any, bool]:
    """A whole JSON document, and whether it is clean; read strictly where it may not be (repeated
    keys and bad numbers kept for the record's result to name: see :mod:`doseguard.io.json_text`)."""
    text = without_bom(data)
    try:
        return load_clean(text)
    except UnicodeDecodeError as error:
        raise InputError(name, not_utf8(error, len(data) - len(text))) from None
    except json.JSONDecodeError as error:
        raise InputError(name, f"not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except (RecursionError, ValueError) as error:
        raise InputError(name, f"not readable: {error}") from None
