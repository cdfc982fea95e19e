"""Read YAML safely and remember where every value came from.

PyYAML's composer gives nodes with start marks; we build the Python data from them ourselves so that
each path (``("rules", 0, "severity")``) maps to the line and column of its key and of its value.
Only the safe loader's scalar types are constructed (no tags, no Python objects), and duplicate keys,
which PyYAML silently resolves to the last one, are errors. Nesting is limited (PyYAML composes
recursively: 5000 brackets end in RecursionError). A problem of this level does not end the reading
where the file still composes: the document comes back with its problems, so that the rest of the file
is checked too; a refused value reads as None and its path is in ``refused``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError

from doseguard.errors import ProblemKind, RuleProblem, SourceLocation
from doseguard.printable import printable

PathKey = tuple[Any, ...]


@dataclass(frozen=True)
class Spot:
    """Where a value sits: its key (for mapping entries) and its value node."""

    key: yaml.Node | None
    value: yaml.Node


@dataclass
class YamlDocument:
    path: str
    data: Any
    spots: dict[PathKey, Spot] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    refused: frozenset[PathKey] = frozenset()  # where a value was refused (read as None)

    def has_refused(self, where: PathKey) -> bool:
        """Whether a value at or below ``where`` was refused (its other problems would be echoes)."""
        size = len(where)
        return any(path[:size] == where for path in self.refused)

    def is_refused(self, where: PathKey) -> bool:
        """Whether the value at ``where``, or one holding it, was refused."""
        return any(where[: len(path)] == path for path in self.refused)

    def locate(self, where: PathKey, *, at_key: bool = False) -> SourceLocation:
        """The location of the value at ``where`` (or of its key), falling back to the nearest parent."""
        probe = where
        while probe not in self.spots and probe:
            probe = probe[:-1]
        spot = self.spots.get(probe)
        if spot is None:
            return SourceLocation(self.path, 1, 1)
        node = spot.key if (at_key and spot.key is not None and probe == where) else spot.value
        return _location(self.path, node)

    def node(self, where: PathKey) -> yaml.Node | None:
        spot = self.spots.get(where)
        return spot.value if spot else None


def _location(path: str, node: yaml.Node) -> SourceLocation:
    return SourceLocation(path, node.start_mark.line + 1, node.start_mark.column + 1)


_PLAIN_COLLECTIONS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _Builder:
    def __init__(self, path: str) -> None:
        self.path = path
        self.spots: dict[PathKey, Spot] = {}
        self.problems: list[RuleProblem] = []
        self.seen: set[int] = set()
        self.refused: set[PathKey] = set()
        self.constructor = yaml.SafeLoader("")

    def refuse(self, node: yaml.Node, where: PathKey, message: str) -> None:
        self.problems.append(RuleProblem(_location(self.path, node), message, kind=ProblemKind.YAML))
        self.refused.add(where)

    def build(self, node: yaml.Node, where: PathKey, key: yaml.Node | None = None) -> Any:
        self.spots[where] = Spot(key, node)
        if id(node) in self.seen:
            # An alias (*name) refers to a node already built; aliases allow self-reference and
            # exponential expansion ("billion laughs"), and rule files have no use for them.
            self.refuse(node, where, "YAML aliases (*name) are not allowed")
            return None
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_COLLECTIONS:
            self.refuse(node, where, f"YAML tag {node.tag!r} is not allowed")
            return None
        if isinstance(node, yaml.MappingNode):
            self.constructor.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                name = self.constructor.construct_object(key_node, deep=True)
                if not isinstance(name, str | int | float | bool) or name is None:
                    self.refuse(key_node, where, "keys must be plain words")
                    continue
                if name in result:
                    self.problems.append(
                        RuleProblem(
                            _location(self.path, key_node),
                            f"duplicate key {name!r}",
                            kind=ProblemKind.DUPLICATE_KEY,
                        )
                    )
                    continue
                result[name] = self.build(value_node, (*where, name), key_node)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*where, index)) for index, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode) and (problem := _scalar_problem(self.constructor, node)):
            self.refuse(node, where, problem)
            return None
        return self.constructor.construct_object(node, deep=True)


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_OCTAL = re.compile(r"[-+]?0[0-7_]+")


def _scalar_problem(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str | None:
    """A scalar that YAML 1.1 reads as another value than a person does: ``010`` is 8 (octal),
    ``1:30`` is 90 (base 60), and an explicit tag (``!!binary aGVsbG8=`` is the title 'hello')
    hides from a reviewer what the rule says."""
    implicit = loader.resolve(yaml.ScalarNode, node.value, (node.style is None, node.style is not None))  # type: ignore[no-untyped-call]
    if node.tag != implicit:
        return f"YAML tag {node.tag!r} is not allowed"
    if node.tag in (_INT, _FLOAT) and (":" in node.value or _OCTAL.fullmatch(node.value)):
        read = loader.construct_object(node, deep=True)
        why = "base 60" if ":" in node.value else "octal: a leading zero"
        return (
            f"{node.value} reads as {read:g} in YAML ({why}): write the number without it, "
            "or quote it if it is text"
        )
    return None


def _marked_problem(name: str, error: yaml.MarkedYAMLError, what: str) -> RuleProblem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = " ".join(part for part in (error.context, error.problem) if part) or "invalid YAML"
    return RuleProblem(SourceLocation(name, line, column), f"{what}: {message}", kind=ProblemKind.YAML)


def _reader_problem(name: str, text: str, error: yaml.reader.ReaderError) -> RuleProblem:
    """A character YAML does not take (an ESC, a NUL, U+FFFE), located where it is: PyYAML says only
    its offset, in a message of two lines."""
    position = max(0, min(error.position, len(text)))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    character = error.character if isinstance(error.character, str) else chr(error.character)
    shown = printable(character)
    if shown == character:
        shown = f"U+{ord(character):04X}"
    message = f"YAML: character {shown} is not allowed in YAML text ({error.reason})"
    return RuleProblem(SourceLocation(name, line, column), message, kind=ProblemKind.YAML)


MAX_DEPTH = 50
"""Levels of nesting a YAML file may have; the bundled packs use 8, the engine's conditions far fewer."""


class _Loader(yaml.SafeLoader):
    """The safe loader, refusing nesting deeper than :data:`MAX_DEPTH` before Python's stack does."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise ComposerError(
                    None, None, f"YAML nested more than {MAX_DEPTH} levels deep", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_yaml(path: Path | str, text: str) -> tuple[YamlDocument | None, list[RuleProblem]]:
    """Parse one YAML file; problems are syntax errors, duplicate keys and refused values, each
    located. The document is None only when the text does not compose at all."""
    name = str(path)
    try:
        documents = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as error:
        return None, [_marked_problem(name, error, "YAML syntax")]
    except yaml.reader.ReaderError as error:
        return None, [_reader_problem(name, text, error)]
    except yaml.YAMLError as error:
        return None, [RuleProblem(SourceLocation(name, 1, 1), f"YAML: {error}", kind=ProblemKind.YAML)]
    if not documents:
        return YamlDocument(name, None), []
    problems: list[RuleProblem] = []
    if len(documents) > 1:
        message = "one YAML document per file (found a second '---')"
        problems.append(RuleProblem(_location(name, documents[1]), message, kind=ProblemKind.YAML))
    builder = _Builder(name)
    try:
        data = builder.build(documents[0], ())
    except yaml.MarkedYAMLError as error:
        return None, [*problems, _marked_problem(name, error, "YAML")]
    except yaml.YAMLError as error:
        return None, [
            *problems,
            RuleProblem(SourceLocation(name, 1, 1), f"YAML: {error}", kind=ProblemKind.YAML),
        ]
    document = YamlDocument(name, data, builder.spots, text.splitlines(), frozenset(builder.refused))
    return document, [*builder.problems, *problems]
