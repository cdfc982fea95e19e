"""A chunk: records cut from one input, to be checked together, each keeping its place in the run.

The main process only reads and splits: parsing JSON, mapping FHIR and checking are the workers'
job, so a chunk carries raw lines (JSON Lines), raw rows (CSV) or parsed objects (JSON arrays and
FHIR Bundles, which must be parsed to be split). Every record keeps its place: a chunk knows the
number of its first record and how to name each record's source (``file:line``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from doseguard.errors import HistoryProblem
    from doseguard.io.columns import ColumnMap
    from doseguard.orders.drugs import DrugEntry


class ChunkKind(StrEnum):
    """What a chunk's ``items`` hold (see :class:`Chunk`); a StrEnum, so ``"lines"`` is LINES.

    TEXT and LINES are JSON Lines only (the workers' line cache reads LINES as JSON): another format
    cuts its input into ROWS or OBJECTS, read by its own mapper (:mod:`doseguard.io.formats`).
    """

    TEXT = "text"
    LINES = "lines"
    ROWS = "rows"
    OBJECTS = "objects"


@dataclass(frozen=True, slots=True)
class Chunk:
    """Records to check together.

    ``kind`` says what ``items`` hold: TEXT (one bytes object: JSON Lines joined by newlines,
    as read, which is all the main process does with them), LINES (the same split into raw
    lines, blank ones included so that line numbers stay right, numbered from ``first_line``),
    ROWS ((line, cells) pairs of a CSV with ``header``) or OBJECTS ((source, parsed
    value) pairs, or (source, bytes) for a JSON array's element, read by the worker as a JSON line is;
    ``context`` holds a FHIR Bundle's other resources). ``first_record`` is the
    1-based number of the chunk's first record in the whole run. ``format`` names the registered
    format (:mod:`doseguard.io.formats`) whose mapper makes the items records; "" (a chunk built by
    hand) is the built-in format of its kind. ``numbers``: each record's own number in the run, for
    records (rows or objects) that are not consecutive (a Spark task's, after the shuffle by
    patient); empty, they are numbered from ``first_record``.
    """

    kind: ChunkKind
    name: str
    first_record: int
    items: list[Any]
    first_line: int = 1
    header: tuple[str, ...] = ()
    context: dict[str, Any] = field(default_factory=dict)
    format: str = ""
    numbers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if type(self.kind) is not ChunkKind:  # "lines" given for LINES: one test per chunk
            object.__setattr__(self, "kind", ChunkKind(self.kind))
        if self.numbers:  # paired with records by place: a split or as_lines() must keep them so
            if self.kind in (ChunkKind.TEXT, ChunkKind.LINES):
                raise ValueError("JSON Lines chunks are numbered by their lines, not by numbers of their own")
            if len(self.numbers) != len(self.items):
                count, given = len(self.items), len(self.numbers)
                raise ValueError(f"numbers: one for each of its {count} records, not {given}")

    @property
    def record_count(self) -> int:
        if self.kind is ChunkKind.TEXT:  # every line a record unless some line does not start an object
            text: bytes = self.items[0]
            lines = text.count(b"\n") + 1
            if text.count(b"\n{") + text.startswith(b"{") == lines:
                return lines
            return self.as_lines().record_count
        if self.kind is ChunkKind.LINES:  # blank lines are not records (counted in C: this runs per chunk)
            items = self.items
            return len(items) - items.count(b"") - sum(map(bytes.isspace, items))
        return len(self.items)

    def number(self, offset: int) -> int:
        """The run's number of the chunk's record at ``offset`` (0-based, among its records)."""
        return self.numbers[offset] if self.numbers else self.first_record + offset

    def as_lines(self) -> Chunk:
        """A TEXT chunk split into its lines (what workers read); any other chunk as it is."""
        if self.kind is not ChunkKind.TEXT:
            return self
        lines = self.items[0].split(b"\n")
        return Chunk(
            ChunkKind.LINES, self.name, self.first_record, lines, self.first_line, format=self.format
        )

    def split(self) -> tuple[Chunk, Chunk]:
        """Two halves, each keeping its records' numbers and sources (to isolate a record that kills
        its worker)."""
        if self.kind is ChunkKind.TEXT:
            return self.as_lines().split()
        middle = len(self.items) // 2
        left = Chunk(self.kind, self.name, self.first_record, self.items[:middle], self.first_line,
                     self.header, self.context, self.format, self.numbers[:middle])  # fmt: skip
        right_first = self.first_record + left.record_count
        right_line = self.first_line + middle if self.kind is ChunkKind.LINES else self.first_line
        right = Chunk(self.kind, self.name, right_first, self.items[middle:], right_line, self.header,
                      self.context, self.format, self.numbers[middle:])  # fmt: skip
        return left, right


class Cutter(Protocol):
    """What a format's chunk reader is given (by :class:`doseguard.io.chunk_reader.ChunkReader`):
    how many records go in a chunk, the column map in force (``--columns``), a maker of chunks
    numbered in the run, a way to say how far the input has been read (for the progress bar), and
    ways to note, once per run, what is true of a whole input (columns not read, required ones missing)."""

    @property
    def chunk_records(self) -> int: ...

    @property
    def columns(self) -> ColumnMap | None: ...

    @property
    def next_record(self) -> int:
        """The number the next record cut will have in the run."""
        ...

    @property
    def drugs(self) -> Iterable[DrugEntry] | Mapping[str, str]:
        """The packs' drugs (a FHIR Bundle's administrations and other orders name them so)."""
        ...

    def history_problem(self, problem: HistoryProblem) -> None:
        """Say, in place, a context resource beside the orders that is not used (a Bundle's)."""
        ...

    def ignored(self, columns: tuple[str, ...], records: int) -> None:
        """Note that ``records`` records of the input being read had these columns, not read."""
        ...

    def note(self, message: str) -> None:
        """Say something of the input being read once, in the run's notes (not in every result)."""
        ...

    def header(self, name: str, read_as: tuple[str, ...], written: tuple[str, ...]) -> None:
        """Note the columns of input ``name`` as records name them and as its header wrote them."""
        ...

    def chunk(self, kind: ChunkKind, name: str, items: list[Any], **extra: Any) -> Chunk:
        """A chunk of the input being read, numbered after the chunks before it."""
        ...

    def progress(self) -> None:
        """Note how many bytes of the inputs have been read so far."""
        ...


def cut_into_chunks(
    cutter: Cutter, kind: ChunkKind, name: str, items: Iterable[Any], **extra: Any
) -> Iterator[Chunk]:
    """``items`` in chunks of ``cutter.chunk_records``, each cut once the input has been read that far
    (said to ``cutter.progress`` before it goes): the loop every format's chunk reader shares."""
    size = cutter.chunk_records
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            cutter.progress()
            yield cutter.chunk(kind, name, batch, **extra)
            batch = []
    cutter.progress()
    if batch:
        yield cutter.chunk(kind, name, batch, **extra)
