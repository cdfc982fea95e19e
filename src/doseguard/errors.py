"""One error hierarchy for the whole package.

Every error carries data attributes (not just a string) so that callers, the CLI and machine-readable
output can say *where* and *what* without parsing messages. Nothing from durable-rules, PyYAML or
pydantic escapes the package: those exceptions are translated at the boundary that meets them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class DoseguardError(Exception):
    """Root of every error doseguard raises on purpose."""


@dataclass(frozen=True)
class SourceLocation:
    """A place in a rule file: 1-based line and column, as editors count."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class RuleProblem:
    """One mistake in a rule file, located; collected, never raised alone."""

    location: SourceLocation
    message: str
    kind: str = "invalid"
    rule_id: str | None = None
    severity: str = "error"  # "warning": reported by ``rules validate``, never a reason to refuse a pack

    def __str__(self) -> str:
        if self.severity == "warning":
            return f"{self.location}: warning: {self.message}"
        return f"{self.location}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        """The problem as JSON; a warning says so (``"severity": "warning"``), an error as it always was."""
        data: dict[str, object] = {
            "file": self.location.path,
            "line": self.location.line,
            "column": self.location.column,
            "kind": self.kind,
            "rule_id": self.rule_id,
            "message": self.message,
        }
        if self.severity != "error":
            data["severity"] = self.severity
        return data


class RulePackError(DoseguardError):
    """A rule pack could not be loaded; ``problems`` lists every mistake found, in file order."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        count = len(problems)
        head = "\n".join(str(p) for p in problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in rule files:\n{head}")


class ExpressionError(DoseguardError):
    """A rule expression does not parse or type-check; ``offset`` is the character position in its text."""

    def __init__(self, message: str, offset: int = 0) -> None:
        self.message = message
        self.offset = offset
        super().__init__(message)


@dataclass(frozen=True)
class FieldProblem:
    """Why one field of an input record could not be understood."""

    field: str
    message: str
    value: object = None

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidOrderError(DoseguardError):
    """An input record cannot be checked; ``problems`` names each field and what is wrong with it."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class FhirMappingError(InvalidOrderError):
    """A FHIR resource that cannot be mapped to an order record; ``problems`` name FHIR paths.

    ``record`` holds what could be mapped of the identifiers (``order_id``, ``patient_id``), so that a
    result can still say which order it is about.
    """

    def __init__(self, problems: list[FieldProblem], record: Mapping[str, object] | None = None) -> None:
        super().__init__(problems)
        self.record: dict[str, object] = dict(record or {})


class EngineError(DoseguardError):
    """The rules engine failed while evaluating; the order it held is reported as ``error``."""


class UnevaluableRulesError(DoseguardError):
    """Rules that could not be evaluated for an order (a division by a stated zero): the order is
    reported as ``error``, one problem per rule. ``problems`` name the field (the divisor) and say why."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


@dataclass
class InputError(DoseguardError):
    """An input file cannot be read at all (missing, unknown format)."""

    path: str
    message: str
    extra: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class OutputError(DoseguardError):
    """An output cannot be written: ``what`` (results, report, summary) to ``path`` (or stdout), and
    why (the system's words: "No space left on device")."""

    what: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"cannot write the {self.what} to {self.path}: {self.message}"
