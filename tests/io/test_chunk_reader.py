"""Opening and cutting inputs: stdin is streamed and sniffed (gzip too), a FIFO is an input, long lines
are gathered in linear time, and a file that changes while it is read is an error, not a short run."""

from __future__ import annotations

import gzip
import io
import json
import os
import sys
import threading
from pathlib import Path

import pytest

from doseguard.errors import InputError
from doseguard.io import csv_rows, jsonl_format
from doseguard.io.chunk_reader import ChunkReader
from doseguard.io.readers import read_input, records_of


class Pipe(io.RawIOBase):
    """stdin fed by a producer that has written ``data`` and not closed its end: reading past it (or
    reading to the end, as ``read()`` does) would block forever, so here it fails the test."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if not self._data:
            raise AssertionError("read past what the producer has written: the reader would block")
        size = min(len(buffer), len(self._data))
        buffer[:size] = self._data[:size]
        self._data = self._data[size:]
        return size

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise AssertionError("read to the end of a pipe whose producer has not closed it")
        return super().read(size) or b""


class FakeStdin:
    def __init__(self, buffer: io.RawIOBase | io.BytesIO) -> None:
        self.buffer = buffer


def test_stdin_is_streamed_not_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # stdin was read whole: 1.36 GB of memory for a 690 MB input, nothing checked until it closed.
    lines = b"".join(json.dumps({"order_id": f"A{n}"}).encode() + b"\n" for n in range(5000))
    monkeypatch.setattr(sys, "stdin", FakeStdin(Pipe(lines)))
    first = next(iter(ChunkReader(["-"], chunk_records=100)))
    assert first.record_count == 100
    assert first.name == "<stdin>"


@pytest.mark.parametrize(
    "data",
    [
        b'{"order_id": "A"}\n{"order_id": "B"}\n',
        b"order_id,drug\nA,x\nB,y\n",
        b'[{"order_id": "A"}, {"order_id": "B"}]',
    ],
)
def test_gzip_on_stdin_is_sniffed_and_read_through(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    # A gzip stream on stdin was read as CSV (every line an invalid record, or a bad header).
    monkeypatch.setattr(sys, "stdin", FakeStdin(io.BytesIO(gzip.compress(data))))
    assert [r.data and r.data["order_id"] for r in read_input("-")] == ["A", "B"]


def test_stdin_fhir_bundle_on_several_lines_is_still_a_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "MedicationRequest"}}]}
    monkeypatch.setattr(sys, "stdin", FakeStdin(io.BytesIO(json.dumps(bundle, indent=2).encode())))
    (record,) = read_input("-")
    assert record.source == "<stdin>:entry[0]"


def test_stdin_one_line_fhir_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "MedicationRequest"}}]}
    monkeypatch.setattr(sys, "stdin", FakeStdin(io.BytesIO(json.dumps(bundle).encode() + b"\n")))
    (record,) = read_input("-")
    assert record.source == "<stdin>:entry[0]"


def test_a_named_fifo_is_read_and_its_format_sniffed(tmp_path: Path) -> None:
    # A FIFO or <(...) was refused as "no such file".
    fifo = tmp_path / "orders"
    os.mkfifo(fifo)

    def produce() -> None:
        with fifo.open("wb") as end:  # blocks until the FIFO is opened for reading
            end.write(b'{"order_id": "A"}\n{"order_id": "B"}\n')

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    try:
        records = list(read_input(str(fifo)))
    finally:
        if producer.is_alive():  # the reader did not open the FIFO: let the producer go
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
        producer.join(10)
    assert [(r.source, r.data) for r in records] == [
        (f"{fifo}:1", {"order_id": "A"}),
        (f"{fifo}:2", {"order_id": "B"}),
    ]


@pytest.mark.parametrize("module", [jsonl_format, csv_rows])
def test_a_line_longer_than_many_blocks_is_gathered_in_linear_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: object
) -> None:
    # A long line was grown by concatenation, block by block: 700 MB on one line took hours.
    # With 64-byte blocks, 2 MB on one line would copy ~30 GB that way; gathered, 4 MB.
    monkeypatch.setattr(module, "READ_BLOCK", 64)
    long = b"x" * (2 << 20)
    path = tmp_path / ("o.jsonl" if module is jsonl_format else "o.csv")
    header = b"" if module is jsonl_format else b"order_id,notes\r"
    path.write_bytes(header + b'{"order_id": "A"}\n' + long + b"\n" + b'{"order_id": "B"}\n')
    records = [r for chunk in ChunkReader([str(path)]) for r in records_of(chunk)]
    assert len(records) == 3
    assert records[1].error is not None


def test_csv_line_ends_split_across_blocks_keep_their_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_rows, "READ_BLOCK", 1)
    path = tmp_path / "o.csv"
    path.write_bytes(b'\xef\xbb\xbforder_id,notes\r\nA,x\r\nB,"a\r\nb"\r\rC,y\nD,z')
    records = list(read_input(str(path)))
    assert [(r.source.rsplit(":", 1)[1], r.data) for r in records] == [
        ("2", {"order_id": "A", "notes": "x"}),
        ("3", {"order_id": "B", "notes": "a\r\nb"}),
        ("6", {"order_id": "C", "notes": "y"}),
        ("7", {"order_id": "D", "notes": "z"}),
    ]


@pytest.mark.parametrize("change", ["truncate", "append"])
@pytest.mark.parametrize("name", ["o.jsonl", "o.csv", "o.csv.gz"])
def test_a_file_that_changes_while_it_is_read_is_an_input_error(
    tmp_path: Path, change: str, name: str
) -> None:
    # An input truncated at a line boundary while being read ended with exit 0 and no word.
    lines = [b"order_id"] if "csv" in name else []
    lines += [
        json.dumps({"order_id": f"A{n}"}).encode() if "jsonl" in name else f"A{n}".encode() for n in range(50)
    ]
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    reader = iter(ChunkReader([str(path)], chunk_records=10))
    next(reader)
    if change == "truncate":
        os.truncate(path, path.stat().st_size // 2)
    else:
        with path.open("ab") as end:
            end.write(b"more\n")
    with pytest.raises(InputError) as info:
        list(reader)
    assert info.value.path == str(path)
    assert "changed while it was read" in info.value.message


def test_a_file_read_to_its_end_unchanged_is_no_error(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    path.write_bytes(b'[{"order_id": "A"}]\n\n   \n')
    assert [r.data for r in read_input(str(path))] == [{"order_id": "A"}]


@pytest.mark.parametrize("block", [1, 2, 3, 5, 8, 1 << 20])
@pytest.mark.parametrize("chunk_records", [1, 2, 2000])
def test_json_lines_ends_are_read_alike_whatever_the_blocks_and_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, chunk_records: int
) -> None:
    # A CR ending a block is a line end of its own unless the next block starts with LF (CRLF).
    monkeypatch.setattr(jsonl_format, "READ_BLOCK", block)
    data = b'{"n": 1}\r{"n": 2}\r\n{"n": 3}\n\r{"n": 5}\r\r\n{"n": 7}\r'
    path = tmp_path / "o.jsonl"
    path.write_bytes(data)
    got = []
    for chunk in ChunkReader([str(path)], chunk_records=chunk_records):
        records = list(records_of(chunk))
        assert len(records) == chunk.record_count == sum(1 for _ in records_of(chunk.as_lines()))
        got += [(r.data, r.source.rsplit(":", 1)[1]) for r in records]
    assert got == [({"n": n}, str(n)) for n in (1, 2, 3, 5, 7)]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (gzip.compress(b"order_id,drug\nA,x\n" * 50)[:-30], "cannot read"),  # cut short
        (gzip.compress(b"order_id,drug\nA,x\n")[:5], "cannot read"),  # cut inside its header
        (gzip.compress(b"order_id,drug\nA,x\n") + b"garbage!", "cannot read"),  # bytes after it
    ],
    ids=["cut-short", "cut-in-header", "trailing-garbage"],
)
def test_a_bad_gzip_on_stdin_is_an_input_error(
    monkeypatch: pytest.MonkeyPatch, data: bytes, said: str
) -> None:
    # The gzip on stdin is read from when it is opened (to sniff it), outside the reader's handling of
    # read errors: a truncated gzip raised EOFError (click made it an interrupt: exit 130, nothing said)
    # and trailing garbage BadGzipFile (an "internal error").
    monkeypatch.setattr(sys, "stdin", FakeStdin(io.BytesIO(data)))
    with pytest.raises(InputError, match=said) as info:
        list(read_input("-"))
    assert info.value.path == "-"


def test_stdin_json_lines_with_a_bad_first_line_are_still_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    # A first line that is not JSON made stdin be read whole (as a document on several lines, a FHIR
    # Bundle maybe): nothing checked until the producer closed, all of it in memory.
    good = b"".join(json.dumps({"order_id": f"A{n}"}).encode() + b"\n" for n in range(5000))
    monkeypatch.setattr(sys, "stdin", FakeStdin(Pipe(b'{"order_id": "A", \n\n' + good)))
    first = next(iter(ChunkReader(["-"], chunk_records=100)))
    records = list(records_of(first))
    assert records[0].error is not None
    assert records[0].source == "<stdin>:1"
    assert records[1].data == {"order_id": "A0"}
    assert records[1].source == "<stdin>:3"


class Terminal(io.RawIOBase):
    """stdin that has ended once (Ctrl-D on a terminal): another read would wait for more typing."""

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._data is None:
            raise AssertionError("read again after the end: on a terminal this waits for more input")
        size = min(len(buffer), len(self._data))
        buffer[:size] = self._data[:size]
        self._data = self._data[size:] if size else None
        return size


def test_json_lines_ending_in_cr_are_not_read_past_their_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(Terminal(b'{"order_id": "A"}\r{"order_id": "B"}\r')))
    assert [r.data for r in read_input("-")] == [{"order_id": "A"}, {"order_id": "B"}]
