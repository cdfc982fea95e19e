"""Rules shipped to executors as the packs' file contents, with the version the driver computed.

An executor has no access to the driver's disk (a cluster's workers, Databricks' nodes), so the driver
reads every file of the rule folders and the overrides file, and the executor writes them again into
a folder of its own and loads them there. The rules version is a content hash of the files' names
and bytes, so the same files give the same version wherever they are written; an executor that
builds another version refuses to check (:class:`RulesVersionError`): one run, one rule version.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from doseguard.errors import RulesVersionError
from doseguard.rules.loader import bundled_rules_dir
from doseguard.rules.model import RuleSet
from doseguard.rules.selection import Selection
from doseguard.rules.source import RuleSource

FileContents = tuple[tuple[str, bytes], ...]
"""(path relative to its folder, the file's bytes), in path order."""


@dataclass(frozen=True)
class ShippedFolder:
    name: str  # the folder's own name (kept: a pack's name may come from its folder)
    files: FileContents


@dataclass(frozen=True)
class ShippedRules:
    """A run's rules as values that pickle: folders of files, the overrides file, the selection, and
    the version the driver loaded from them."""

    folders: tuple[ShippedFolder, ...]
    version: str
    overrides: tuple[str, bytes] | None = None
    selection: Selection = field(default_factory=Selection)

    @classmethod
    def of(cls, source: RuleSource) -> tuple[ShippedRules, RuleSet]:
        """The rules of ``source`` read on the driver, and the rule set they load into (raises
        RulePackError or SelectionError as ``doseguard check`` does)."""
        rule_set = source.load()
        roots = [Path(path) for path in source.paths] or [bundled_rules_dir()]
        folders = tuple(ShippedFolder(root.resolve().name, _contents(root)) for root in roots)
        overrides = None
        if source.overrides is not None:
            path = Path(source.overrides)
            overrides = (path.name, path.read_bytes())
        return cls(folders, rule_set.version, overrides, source.selection), rule_set

    def unpack(self, into: Path) -> RuleSource:
        """Write the files under ``into`` (one sub-folder per rules folder) and name them as a source."""
        paths = []
        for index, folder in enumerate(self.folders):
            root = into / str(index) / folder.name
            for relative, content in folder.files:
                target = root / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            root.mkdir(parents=True, exist_ok=True)
            paths.append(str(root))
        overrides = None
        if self.overrides is not None:
            name, content = self.overrides
            (into / "overrides").mkdir(parents=True, exist_ok=True)
            target = into / "overrides" / name
            target.write_bytes(content)
            overrides = str(target)
        return RuleSource(tuple(paths), overrides, self.selection)

    def rebuild(self, into: Path | None = None) -> tuple[RuleSource, RuleSet]:
        """The shipped rules written out and loaded on an executor: raises RulesVersionError when
        they load into another version than the driver's."""
        folder = Path(tempfile.mkdtemp(prefix="doseguard-rules-")) if into is None else into
        source = self.unpack(folder)
        rule_set = source.load()
        if rule_set.version != self.version:
            raise RulesVersionError(expected=self.version, found=rule_set.version)
        return source, rule_set


def _contents(root: Path) -> FileContents:
    """Every file under ``root`` that is not hidden (what the loader may read or refuse), in order."""
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        found.append((relative.as_posix(), path.read_bytes()))
    return tuple(found)
