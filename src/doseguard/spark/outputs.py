"""Results written whole or not at all: into a hidden sibling of the output, renamed into place.

Parquet is a folder of part files written by the executors; JSON Lines is one file in record order,
written by the driver from the sorted results (what ``doseguard check -o`` writes). Either appears
at its path only when complete, and never replaces what is there: an existing output is refused
(Spark's own default), and the rename itself refuses to replace (``renameat2`` RENAME_NOREPLACE).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import uuid
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame

from doseguard.errors import OutputError

PARQUET, JSONL = "parquet", "jsonl"
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


def output_format(path: str) -> str:
    """PARQUET for a ``.parquet`` path, JSONL for ``.jsonl``/``.ndjson``; else OutputError."""
    name = path.lower().rstrip("/")
    if name.endswith(".parquet"):
        return PARQUET
    if name.endswith((".jsonl", ".ndjson")):
        return JSONL
    raise OutputError("results", path, "on Spark, name a .parquet or .jsonl output")


def refuse_existing(path: str) -> None:
    if os.path.lexists(path):
        raise OutputError("results", path, "it exists; a Spark run never replaces an output: remove it first")


def write_results(results: DataFrame, path: str) -> None:
    """Write ``results`` (a results DataFrame) to ``path``, sorted by record. The results are
    persisted while they are written unless they already are: a sort samples its input first, and
    would otherwise check every record twice."""
    kind = output_format(path)
    cached = results.storageLevel.useMemory or results.storageLevel.useDisk
    if not cached:
        results = results.persist(StorageLevel.MEMORY_AND_DISK)
    refuse_existing(path)
    target = Path(path)
    hidden = target.parent / f".{target.name}.doseguard-{uuid.uuid4().hex[:12]}"
    try:
        if kind == PARQUET:
            results.orderBy("record").write.parquet(str(hidden))
        else:
            with hidden.open("w", encoding="utf-8") as stream:
                for row in results.orderBy("record").select("result").toLocalIterator():
                    stream.write(row.result + "\n")
        _rename_no_replace(hidden, target)
    except OSError as error:
        raise OutputError("results", path, error.strerror or str(error)) from None
    finally:
        if not cached:
            results.unpersist()
        if hidden.is_dir():
            shutil.rmtree(hidden, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                hidden.unlink()


def _rename_no_replace(source: Path, target: Path) -> None:
    """``rename`` that fails with EEXIST when ``target`` exists (a file or a folder)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        done = renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE)
        if done == 0:
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise OutputError(
                "results", str(target), "it appeared while the results were written: not replaced"
            )
        if code not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):  # a file system without RENAME_NOREPLACE
        raise OutputError("results", str(target), "it appeared while the results were written: not replaced")
    source.rename(target)
