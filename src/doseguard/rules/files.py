"""Which files of a rule folder are rule files, and reading one without surprises.

A rule file present on disk must take effect or be refused: every file whose name has ``.yaml`` or
``.yml`` in it is loaded, or refused with a located problem (a backup ``x.yaml~``, a ``x.yaml.txt``,
a broken link, a file in a sub-folder of a pack, a pipe named like one). Hidden files and folders
(``.git``, ``.gitlab-ci.yml``, an editor's ``.x.yaml.swp``) are not part of a pack, as ``ls`` and
``*.yaml`` do not show them. A pack's scenarios sit beside its rules, in its ``features/`` folder
(:func:`feature_folders`): ``.feature`` files are not named like rule files, so they are neither
loaded nor refused. The decisions are in ``docs/rule-files.md``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from doseguard.errors import ProblemKind, RuleProblem, SourceLocation

RULE_SUFFIXES = (".yaml", ".yml")
PACK_FILES = ("pack.yaml", "pack.yml")
MAX_FILE_BYTES = 4 * 2**20
"""The bundled packs' largest file is about 10 KiB; a file 400 times that is not a rule file."""
STRAY_DEPTH = 3
"""How many folders below a pack (or a folder that is not one) rule files are looked for, to refuse
them: deep enough for a pack nested one level too deep, shallow enough for ``--rules ~``."""

FEATURES_FOLDER = "features"
"""The sub-folder of a pack that holds its Gherkin scenarios (``rules/b12/features/``)."""

NOT_LOADED = "not loaded"
NO_SUCH_FOLDER = "no such rule folder"
NO_SUCH_OVERRIDES = "no such overrides file"


def looks_like_rule_file(name: str) -> bool:
    """A name a person would take for a rule file: ``.yaml`` or ``.yml`` anywhere in it, and not a
    hidden file's."""
    lower = name.lower()
    return (".yaml" in lower or ".yml" in lower) and not name.startswith(".")


def loads(name: str) -> bool:
    """Whether a file of this name directly in a pack folder is loaded (any case of the suffix)."""
    return name.lower().endswith(RULE_SUFFIXES) and not name.startswith(".")


REFUSED_NAME = (
    f"not named *.yaml or *.yml: {NOT_LOADED}; rename it to load its rules, or move it out of the pack"
)


@dataclass(frozen=True)
class PackFiles:
    """One pack folder: its pack file (``pack.yaml``, optional) and its rule files, sorted by name."""

    folder: Path
    pack_file: Path | None
    rule_files: tuple[Path, ...]


@dataclass
class Discovery:
    """The packs found under a ``--rules`` folder, and every file that looks like a rule file but is
    not loaded, each as a problem."""

    packs: list[PackFiles] = field(default_factory=list)
    problems: list[RuleProblem] = field(default_factory=list)

    def refuse(self, path: Path, message: str) -> None:
        self.problems.append(RuleProblem(SourceLocation(str(path), 1, 1), message, kind=ProblemKind.IO))


@dataclass(frozen=True)
class _Entry:
    path: Path
    is_dir: bool


def discover(root: Path) -> Discovery:
    """A folder with rule files of its own is a pack; otherwise each sub-folder with rule files of its
    own is one. Rule files anywhere else below ``root`` (a sub-folder of a pack, a folder of folders)
    are refused, so that nothing there is silently left out."""
    found = Discovery()
    problem = folder_problem(root)
    if problem is not None:
        found.refuse(root, problem)
        return found
    entries = _list(root, found)
    if entries is None:
        return found
    if any(loads(e.path.name) and not e.is_dir for e in entries):
        _pack(root, entries, found)
        return found
    _loose_files(entries, found)
    for entry in entries:
        if not entry.is_dir or entry.path.name.startswith("."):
            continue
        inner = _list(entry.path, found)
        if inner is None:
            continue
        if any(loads(e.path.name) and not e.is_dir for e in inner):
            _pack(entry.path, inner, found)
        else:
            _loose_files(inner, found)
            why = (
                f"{NOT_LOADED}: {entry.path} is not a pack (no rule files of its own); "
                "name the pack's own folder with --rules"
            )
            _strays(inner, found, why, STRAY_DEPTH - 1, {_identity(entry.path)})
    if not found.packs and not found.problems:
        found.refuse(root, "no rule files (*.yaml) here or in sub-folders")
    return found


def pack_folders(roots: Iterable[Path]) -> list[Path]:
    """The pack folders under ``--rules`` roots, as the loader finds them (without reading a file;
    what cannot be a pack is the loader's to report)."""
    return [pack.folder for root in roots for pack in discover(root).packs]


def feature_folders(packs: Iterable[Path | str]) -> list[str]:
    """Where the scenarios of these pack folders are when no folder is named: each pack's own
    ``features/``, else a ``features/`` beside the pack or above its folder of packs (a repository
    laid out as rules/b12 and features/); each folder once, in the packs' order."""
    found: list[str] = []
    for pack in map(Path, packs):
        for candidate in (pack, pack.parent, pack.parent.parent):
            folder = candidate / FEATURES_FOLDER
            if folder.is_dir():
                if str(folder) not in found:
                    found.append(str(folder))
                break
    return found


def _pack(folder: Path, entries: list[_Entry], found: Discovery) -> None:
    pack_file: Path | None = None
    rule_files: list[Path] = []
    for entry in entries:
        name = entry.path.name
        if name.lower() in PACK_FILES:
            if pack_file is None:
                pack_file = entry.path
            else:
                found.refuse(entry.path, f"a second pack file ({pack_file} is the first): {NOT_LOADED}")
        elif loads(name):
            rule_files.append(entry.path)  # a folder or a broken link too: reading it says what it is
        elif looks_like_rule_file(name) and not entry.is_dir:
            found.refuse(entry.path, REFUSED_NAME)
    if rule_files or pack_file is None:
        found.packs.append(PackFiles(folder, pack_file, tuple(rule_files)))
    else:
        found.refuse(
            pack_file, "a pack without rule files: its drugs would count as covered with nothing checked"
        )
    why = f"{NOT_LOADED}: a pack's rule files sit directly in its folder ({folder}), not in a sub-folder"
    _strays(entries, found, why, STRAY_DEPTH, {_identity(folder)})


def _loose_files(entries: list[_Entry], found: Discovery) -> None:
    """Files named like rule files in a folder that is not a pack (a folder of packs, or a folder of
    those): none loads there."""
    for entry in entries:
        if looks_like_rule_file(entry.path.name) and not entry.is_dir:
            found.refuse(entry.path, REFUSED_NAME)


def _strays(
    entries: list[_Entry], found: Discovery, why: str, depth: int, seen: set[tuple[int, int]]
) -> None:
    """Refuse every file named like a rule file in the sub-folders of ``entries`` (hidden folders,
    such as ``.git``, excepted), ``depth`` folders down, each folder once (symbolic links can loop)."""
    if depth <= 0:
        return
    for entry in entries:
        if not entry.is_dir or entry.path.name.startswith("."):
            continue
        identity = _identity(entry.path)
        if identity in seen:
            continue
        seen.add(identity)
        inner = _list(entry.path, found)
        if inner is None:
            continue
        for item in inner:
            if looks_like_rule_file(item.path.name) and not item.is_dir:
                found.refuse(item.path, why)
        _strays(inner, found, why, depth - 1, seen)


def _identity(folder: Path) -> tuple[int, int]:
    try:
        info = folder.stat()
    except OSError:
        return (-1, hash(str(folder)))
    return (info.st_dev, info.st_ino)


def _list(folder: Path, found: Discovery) -> list[_Entry] | None:
    """The folder's entries sorted by name, or None (and a problem) when it cannot be listed."""
    try:
        with os.scandir(folder) as listing:
            entries = [_Entry(folder / item.name, _is_dir(item)) for item in listing]
    except OSError as error:
        found.refuse(folder, f"cannot read the folder: {error.strerror or error}")
        return None
    return sorted(entries, key=lambda e: e.path.name)


def _is_dir(item: os.DirEntry[str]) -> bool:
    try:
        return item.is_dir()
    except OSError:
        return False


def folder_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a ``--rules`` folder, or None."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return NO_SUCH_FOLDER
    except (OSError, ValueError) as error:  # ValueError: a NUL in the name
        return _system_problem(error)
    if not stat.S_ISDIR(info.st_mode):
        return "not a folder: --rules takes a pack folder or a folder of packs"
    return None


def file_problem(path: Path, missing: str) -> str | None:
    """Why ``path`` cannot be read as a YAML file (``missing``: what to say when there is nothing
    there), or None; the same words :func:`read_file` uses."""
    try:
        info = path.stat()
    except OSError as error:
        return _open_problem(path, error, missing)
    except ValueError as error:
        return _system_problem(error)
    return _kind_problem(info.st_mode)


def read_file(path: Path, missing: str = "no such file") -> tuple[bytes | None, str | None]:
    """The bytes of a regular file of at most :data:`MAX_FILE_BYTES`, or why not. Opened without
    blocking (a named pipe does not hang the load) and checked after opening (no race with a
    rename)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as error:
        return None, _open_problem(path, error, missing)
    except ValueError as error:
        return None, _system_problem(error)
    try:
        problem = _kind_problem(os.fstat(handle).st_mode)
        if problem is not None:
            os.close(handle)
            return None, problem
    except OSError as error:
        os.close(handle)
        return None, f"cannot read: {error.strerror or error}"
    with os.fdopen(handle, "rb") as stream:
        try:
            raw = stream.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            return None, f"cannot read: {error.strerror or error}"
    if len(raw) > MAX_FILE_BYTES:
        return None, f"larger than {MAX_FILE_BYTES // 2**20} MiB: not a rule file"
    return raw, None


def _open_problem(path: Path, error: OSError, missing: str) -> str:
    if error.errno == errno.ELOOP:
        return f"a symbolic link loop: {NOT_LOADED}"
    if isinstance(error, FileNotFoundError):
        if path.is_symlink():
            try:
                target = str(path.readlink())
            except OSError:
                target = "?"
            return f"a broken symbolic link (to {target!r}): {NOT_LOADED}"
        return missing
    return _system_problem(error)


def _system_problem(error: OSError | ValueError) -> str:
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return f"cannot read: {text}"


def _kind_problem(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a named pipe"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a file"
    )
    return f"not a regular file ({kind}): {NOT_LOADED}"
