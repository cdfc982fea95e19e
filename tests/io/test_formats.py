"""The format registry: the built-in formats by extension and by sniffing, and a new format added by one
registration (here a toy ``key=value`` format, registered in this test only) read through the chunk
reader, ``records_of`` and a worker's checker with no other module edited."""

from __future__ import annotations

import io
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from doseguard.batch.record_meta import MetaColumns
from doseguard.batch.worker import ChunkChecker
from doseguard.checker import Checker
from doseguard.errors import InputError
from doseguard.io import formats
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.chunks import Chunk, ChunkKind, Cutter, cut_into_chunks
from doseguard.io.formats import Format, input_format, register, sniffed
from doseguard.io.readers import read_input, records_of
from doseguard.records import InputRecord
from doseguard.rules.source import RuleSource

SRC = Path(__file__).resolve().parents[2] / "src" / "doseguard"


def read_key_values(cutter: Cutter, name: str, stream: IO[bytes]) -> Iterator[Chunk]:
    """The toy format's chunk reader: each line not blank is a record (its raw bytes), named file:line."""
    lines = enumerate(stream.read().splitlines(), start=1)
    items = ((f"{name}:{number}", line) for number, line in lines if line.strip())
    yield from cut_into_chunks(cutter, ChunkKind.OBJECTS, name, items)


def key_value_records(chunk: Chunk) -> Iterator[InputRecord]:
    """The toy format's record mapper: ``order_id=A;drug=x``, or why a line is not that."""
    for source, line in chunk.items:
        pairs = [part.split("=", 1) for part in line.decode().split(";")]
        if any(len(pair) != 2 for pair in pairs):
            yield InputRecord(source, error="not key=value pairs separated by ';'")
        else:
            yield InputRecord(source, {key.strip(): value.strip() for key, value in pairs})


KEY_VALUES = Format(
    "kv", (".kv",), read_key_values, key_value_records, sniff=lambda start: start.startswith(b"order_id=")
)


@pytest.fixture
def key_values(monkeypatch: pytest.MonkeyPatch) -> Format:
    """The toy format, registered for one test (the table is restored after it)."""
    monkeypatch.setattr(formats, "FORMATS", dict(formats.FORMATS))
    return register(KEY_VALUES)


STANDARD = (
    "order_id=A;patient_id=P1;drug=cyanocobalamin;concentration=1000 mcg/mL;"
    "product_concentration=1000 mcg/mL;route=IM;site=left deltoid;dose=1000 mcg;volume=1 mL;"
    "frequency=daily;duration=7 days;phase=repletion"
)
ORDERS = f"{STANDARD}\n\norder_id=B;drug=x\nnonsense\n".encode()


def test_a_registered_format_is_read_through_the_chunk_reader_and_records_of(
    tmp_path: Path, key_values: Format
) -> None:
    path = tmp_path / "orders.kv"
    path.write_bytes(ORDERS)
    assert input_format(str(path)) == "kv" == input_format(f"{path}.gz")
    chunks = list(ChunkReader([str(path)], chunk_records=2))
    assert [(c.kind, c.format, c.first_record, c.record_count) for c in chunks] == [
        (ChunkKind.OBJECTS, "kv", 1, 2),
        (ChunkKind.OBJECTS, "kv", 3, 1),
    ]
    records = [record for chunk in chunks for record in records_of(chunk)]
    assert records == [
        InputRecord(f"{path}:1", dict(pair.split("=") for pair in STANDARD.split(";"))),
        InputRecord(f"{path}:3", {"order_id": "B", "drug": "x"}),
        InputRecord(f"{path}:4", error="not key=value pairs separated by ';'"),
    ]
    left, right = chunks[0].split()  # a chunk split to isolate a record keeps its format
    assert [r.source for c in (left, right) for r in records_of(c)] == [f"{path}:1", f"{path}:3"]
    assert pickle.loads(pickle.dumps(chunks[0])) == chunks[0]  # as it crosses to a worker


def test_a_registered_format_is_sniffed_on_stdin(monkeypatch: pytest.MonkeyPatch, key_values: Format) -> None:
    class Stdin:
        buffer = io.BytesIO(ORDERS)

    monkeypatch.setattr(sys, "stdin", Stdin())
    assert [r.source for r in read_input("-")] == ["<stdin>:1", "<stdin>:3", "<stdin>:4"]


def test_a_registered_format_is_checked_by_a_workers_checker(tmp_path: Path, key_values: Format) -> None:
    path = tmp_path / "orders.kv"
    path.write_bytes(ORDERS)
    (chunk,) = ChunkReader([str(path)])
    checked = ChunkChecker(Checker(RuleSource().load()), "objects").process(chunk)
    assert checked.objects is not None
    assert [(r.record, r.source, r.status.value) for r in checked.objects] == [
        (1, f"{path}:1", "pass"),
        (2, f"{path}:3", "invalid"),  # no patient_id: invalid, but read
        (3, f"{path}:4", "invalid"),
    ]
    assert (checked.objects[0].order_id, checked.objects[1].order_id) == ("A", "B")
    assert checked.objects[2].errors[0].message == "not key=value pairs separated by ';'"


def test_a_format_that_cuts_lines_is_read_by_its_own_mapper_not_the_json_line_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunk of LINES went through the workers' JSON line cache whatever its format: a new format
    cutting its input into lines had every record read as JSON (all invalid)."""

    def read_as_lines(cutter: Cutter, name: str, stream: IO[bytes]) -> Iterator[Chunk]:
        cutter.progress()
        yield cutter.chunk(ChunkKind.LINES, name, stream.read().split(b"\n"))

    def line_records(chunk: Chunk) -> Iterator[InputRecord]:
        lines = [
            (f"{chunk.name}:{chunk.first_line + i}", line)
            for i, line in enumerate(chunk.items)
            if line.strip()
        ]
        return key_value_records(Chunk(ChunkKind.OBJECTS, chunk.name, chunk.first_record, lines))

    monkeypatch.setattr(formats, "FORMATS", dict(formats.FORMATS))
    register(Format("kvl", (".kvl",), read_as_lines, line_records))
    path = tmp_path / "orders.kvl"
    path.write_bytes(ORDERS)
    (chunk,) = ChunkReader([str(path)])
    checked = ChunkChecker(Checker(RuleSource().load()), "jsonl").process(chunk)
    assert [meta.status for meta in MetaColumns(checked.meta).rows()] == ["pass", "invalid", "invalid"]


def test_without_its_registration_the_toy_format_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        input_format("orders.kv")
    assert (
        info.value.message == "unknown input format '.kv': use .jsonl, .ndjson, .json, .csv or .tsv (or .gz)"
    )
    assert sniffed(ORDERS).name == "csv"  # what a stream no format claims is read as


def test_a_registration_naming_a_taken_name_or_extension_is_refused(key_values: Format) -> None:
    for clash in (Format("kv", (".kv2",), read_key_values, key_value_records),
                  Format("kv2", (".csv",), read_key_values, key_value_records)):  # fmt: skip
        with pytest.raises(ValueError, match="already registered"):
            register(clash)


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b'[{"order_id": "A"}]', "json"),
        (b'\xef\xbb\xbf  \n{"order_id": "A"}\n', "jsonl"),
        (b"order_id,drug\n", "csv"),
        (b"", "csv"),
    ],
)
def test_built_in_formats_are_sniffed_by_their_first_bytes(head: bytes, name: str) -> None:
    assert sniffed(head).name == name


def test_the_built_in_formats_in_order() -> None:
    assert [(f.name, f.extensions) for f in formats.FORMATS.values()] == [
        ("jsonl", (".jsonl", ".ndjson")),
        ("json", (".json",)),
        ("csv", (".csv",)),
        ("tsv", (".tsv",)),
    ]


def test_a_chunk_kind_is_an_enum_and_its_value_names_it() -> None:
    chunk = Chunk("lines", "o.jsonl", 1, [b'{"order_id": "A"}', b""])  # type: ignore[arg-type]
    assert chunk.kind is ChunkKind.LINES
    assert [r.source for r in records_of(chunk)] == ["o.jsonl:1"]  # a chunk naming no format: its kind's
    with pytest.raises(ValueError, match="'words' is not a valid ChunkKind"):
        Chunk("words", "o.jsonl", 1, [])  # type: ignore[arg-type]
