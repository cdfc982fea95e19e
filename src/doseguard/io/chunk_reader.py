"""Cut inputs into chunks of raw records, in the main process, with as little work as possible.

Each input is opened (:mod:`doseguard.io.inputs`) and cut by its format's reader
(:mod:`doseguard.io.formats`); here the chunks are numbered across inputs and the bytes read counted.
"""

from __future__ import annotations

import gzip
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from doseguard.errors import HistoryProblem, InputError
from doseguard.io.chunks import Chunk, ChunkKind
from doseguard.io.columns import ColumnMap
from doseguard.io.formats import named
from doseguard.io.inputs import open_input
from doseguard.io.streams import STDIN, is_stream

if TYPE_CHECKING:
    from doseguard.orders.drugs import DrugEntry

CHUNK_RECORDS = 2000


class ChunkReader:
    """Chunks of every input, in order; ``bytes_read`` says how much of them was read so far."""

    def __init__(
        self,
        paths: list[str],
        *,
        chunk_records: int = CHUNK_RECORDS,
        columns: ColumnMap | None = None,
        headers: dict[str, dict[str, str]] | None = None,
        drugs: Iterable[DrugEntry] | Mapping[str, str] = (),
        on_history_problem: Callable[[HistoryProblem], None] | None = None,
    ) -> None:
        """``headers`` (filled as inputs are read): for each input with a header line, its columns by
        the names records hold them under, as the header wrote them (for the annotated export).
        ``drugs`` are the packs' (a Bundle's administrations name them); a Bundle's context resources
        that cannot be used go to ``on_history_problem`` as read (else kept in ``history_problems``)."""
        self.paths = paths
        self.chunk_records = chunk_records
        self.columns = columns
        self.ignored_columns: Counter[str] = Counter()  # column → records that had it, not read
        self.notes: list[str] = []  # what is true of a whole input, said once
        self.headers = headers if headers is not None else {}
        self.next_record = 1
        self.bytes_read = 0
        self._done_bytes = 0
        self._format = ""  # of the input being read
        self._tell: Callable[[], int] = int  # how much of it was read
        self.empty_inputs: list[str] = []  # inputs read whole that held no record
        self.drugs = drugs
        self.history_problems: list[HistoryProblem] = []
        self._on_history_problem = on_history_problem or self.history_problems.append

    def total_bytes(self) -> int | None:
        if STDIN in self.paths or any(map(is_stream, self.paths)):
            return None
        return sum(Path(p).stat().st_size for p in self.paths)

    def __iter__(self) -> Iterator[Chunk]:
        for path in self.paths:
            yield from self._read(path)

    def chunk(self, kind: ChunkKind, name: str, items: list[Any], **extra: Any) -> Chunk:
        """The next chunk of the input being read (for its format's reader: see
        :class:`doseguard.io.chunks.Cutter`)."""
        chunk = Chunk(kind, name, self.next_record, items, format=self._format, **extra)
        self.next_record += chunk.record_count
        return chunk

    def done_bytes(self, records_written: int) -> int:
        """How much of the input the first ``records_written`` records took, as far as it is known: the
        bytes read so far shared evenly among the records cut from them. Chunks are cut ahead of the
        workers, so this (not ``bytes_read``) is what a progress bar over written results shows."""
        cut = self.next_record - 1
        if cut <= 0 or records_written >= cut:
            return self.bytes_read
        return self.bytes_read * records_written // cut

    def ignored(self, columns: tuple[str, ...], records: int) -> None:
        for column in columns:
            self.ignored_columns[column] += records

    def note(self, message: str) -> None:
        self.notes.append(message)

    def header(self, name: str, read_as: tuple[str, ...], written: tuple[str, ...]) -> None:
        self.headers[name] = dict(zip(read_as, written, strict=True))

    def history_problem(self, problem: HistoryProblem) -> None:
        self._on_history_problem(problem)

    def progress(self) -> None:
        self.bytes_read = self._done_bytes + self._tell()

    def _read(self, path: str) -> Iterator[Chunk]:
        try:
            source = open_input(path)  # stdin and FIFOs are read from here, to sniff them (a gzip's too)
        except (OSError, EOFError, gzip.BadGzipFile) as error:
            raise InputError(path, f"cannot read: {error}") from None
        fmt = named(source.format)
        name, stream = source.name, source.stream
        self._format, self._tell = fmt.name, source.tell
        first_record = self.next_record
        with stream:
            try:
                yield from fmt.read(self, name, stream)
                source.check_unchanged()
            except (OSError, EOFError, gzip.BadGzipFile) as error:
                source.check_unchanged()  # a file cut short while read is unreadable for that reason
                raise InputError(path, f"cannot read: {error}") from None
            finally:
                if source.raw is not None and source.raw is not stream:
                    source.raw.close()
        self._done_bytes = self.bytes_read
        if self.next_record == first_record:
            self.empty_inputs.append(path)
