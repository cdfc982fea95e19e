"""One error hierarchy for the whole package.

Every error carries data attributes (not just a string) so that callers, the CLI and machine-readable
output can say *where* and *what* without parsing messages. Nothing from durable-rules, PyYAML or
pydantic escapes the package: those exceptions are translated at the boundary that meets them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from doseguard.suggestions import did_you_mean


class DoseguardError(Exception):
    """Root of every error doseguard raises on purpose."""


# --- rule files ------------------------------------------------------------------------------------


class ProblemKind(StrEnum):
    """What kind of mistake a :class:`RuleProblem` is (``"kind"`` in JSON output)."""

    INVALID = "invalid"
    IO = "io"  # a file or folder that cannot be read
    YAML = "yaml"
    DUPLICATE_KEY = "duplicate-key"
    TOO_DEEP = "too-deep"
    SCHEMA = "schema"  # a key or value the rule model does not take
    DUPLICATE_ID = "duplicate-id"
    CONDITION = "condition"  # the shape of ``when``
    EXPRESSION = "expression"  # an expression that does not parse
    TYPE = "type"  # an expression that does not type-check
    MESSAGE = "message"
    COMPILE = "compile"
    ENGINE_LIMIT = "engine-limit"
    ZERO_DIVISOR = "zero-divisor"
    OVERRIDE = "override"
    UNKNOWN_RULE = "unknown-rule"
    DUPLICATE_OVERRIDE = "duplicate-override"
    FEATURE = "feature"  # a feature file that is not Gherkin
    NO_SCENARIOS = "no-scenarios"
    ENGINE = "engine"  # the engine refused the rules


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
    kind: ProblemKind = ProblemKind.INVALID
    rule_id: str | None = None
    severity: str = "error"  # "warning": reported by ``rules validate``, never a reason to refuse a pack
    suggestion: str | None = field(default=None, compare=False)  # the name meant ("did you mean"), if any

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


class ColumnMapError(DoseguardError):
    """A column map (``--columns``) that cannot be used; ``problems`` lists every mistake, located."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class ExpressionError(DoseguardError):
    """A rule expression does not parse or type-check; ``offset`` is the character position in its text,
    ``suggestion`` the name meant when one was misspelt (the message says it too)."""

    def __init__(self, message: str, offset: int = 0, suggestion: str | None = None) -> None:
        self.message = message
        self.offset = offset
        self.suggestion = suggestion
        super().__init__(message)


class ConditionError(DoseguardError):
    """A rule's ``when`` that is not a condition; ``problem`` says where and why."""

    def __init__(self, problem: RuleProblem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class SelectionError(DoseguardError):
    """``--select`` or ``--ignore`` named something that is neither a rule id nor a tag, or left no
    rule to run. ``unknown`` maps each such name to the name meant, or None."""

    def __init__(self, unknown: dict[str, str | None], message: str | None = None) -> None:
        self.unknown = unknown
        names = "; ".join(
            f"{name!r} is neither a rule id nor a tag{did_you_mean(meant)}" for name, meant in unknown.items()
        )
        super().__init__(message or names)


class FeatureFileError(DoseguardError):
    """A feature file that cannot be read as Gherkin."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


class DuplicateScenarioError(DoseguardError):
    """Two scenarios of one feature file share a name."""


# --- orders ----------------------------------------------------------------------------------------


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


class TextProblem(DoseguardError, ValueError):
    """A text that cannot be read safely; the message says why, for a person."""


class QuantityError(DoseguardError, ValueError):
    """A quantity that cannot be understood; the message says why, for a person."""


class ScheduleError(DoseguardError, ValueError):
    """A frequency or duration that cannot be understood."""


class PatientFactError(DoseguardError, ValueError):
    """A patient fact (weight, height, age, sex, renal function, pregnancy) or an order time that
    cannot be understood or is not plausible; the message says why, for a person."""


class ImplausibleTimeError(PatientFactError):
    """A time written in a year no order, dose or lab result is from (a typo: 9999, 1066)."""

    def __init__(self, written: str, year: int, plausible: range) -> None:
        self.written, self.year, self.plausible = written, year, plausible
        super().__init__(f"{written!r}: the year {year} is not plausible ({plausible[0]}-{plausible[-1]})")


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
    """The rules engine failed or refused: an order it held is reported as ``error``; rules it cannot
    take stop the run. The data say what was concerned, where known: ``fact_field`` (a fact field it
    must not see), ``rule_id`` (the rule it refused), ``code`` (the result code the engine returned)."""

    def __init__(
        self,
        message: str,
        *,
        fact_field: str | None = None,
        rule_id: str | None = None,
        code: int | None = None,
    ) -> None:
        self.message = message
        self.fact_field = fact_field
        self.rule_id = rule_id
        self.code = code
        super().__init__(message)


class UnevaluableRulesError(DoseguardError):
    """Rules that could not be evaluated for an order (a division by a stated zero): the order is
    reported as ``error``, one problem per rule. ``problems`` name the field (the divisor) and say why."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


# --- patient context -------------------------------------------------------------------------------


class LabValueError(DoseguardError, ValueError):
    """A lab result that cannot be read (an unknown test, a unit its test is not measured in);
    ``field`` is the record's field concerned."""

    def __init__(self, message: str, field: str) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class HistoryProblem:
    """Why one record of a patient-context input (a patients file, the MAR, labs, a FHIR resource
    beside the orders) was not used: where it is (``file:line``), the field, what is wrong. Reported
    in place, as a bad order is; the patient is then checked without it."""

    source: str
    field: str | None
    message: str
    patient_id: str | None = None  # whose record it was, when that could be read: told on their orders

    def as_dict(self) -> dict[str, object]:
        return {"source": self.source, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.source}: {self.field}" if self.field else self.source
        return f"{where}: {self.message}"


# --- runs ------------------------------------------------------------------------------------------


@dataclass
class HistoryStoreError(DoseguardError):
    """A history store (``io/history_store.py``) this doseguard cannot read: written in another
    ``format`` (``found``; None when it states none) than the one it reads (``expected``), or not a
    store at all (``reason``)."""

    path: str
    found: object
    expected: int
    reason: str | None = None

    def __str__(self) -> str:
        if self.reason is not None:
            format_ = f"format {self.expected}"
            return f"history store {self.path}: not readable as a store of {format_}: {self.reason}"
        written = "states no format" if self.found is None else f"is of format {self.found!r}"
        return (
            f"history store {self.path} {written}; this doseguard reads format {self.expected} only: "
            f"rebuild it with this doseguard (the store is a run's scratch file)"
        )


class WorkerStartError(DoseguardError):
    """Worker processes cannot start: nothing can be checked."""


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


# --- Spark -----------------------------------------------------------------------------------------


@dataclass
class SparkUnavailableError(DoseguardError):
    """Spark cannot run here: ``missing`` names what is absent (pyspark, java), ``message`` how to get it."""

    missing: str
    message: str

    def __str__(self) -> str:
        return f"cannot run on Spark: {self.message}"


@dataclass
class RulesVersionError(DoseguardError):
    """An executor built other rules than the driver checked: ``found`` is the version it built,
    ``expected`` the driver's. Results of two rule versions are never mixed in one run."""

    expected: str
    found: str

    def __str__(self) -> str:
        return (
            f"RulesVersionError: the executor built rules version {self.found}, not the driver's "
            f"{self.expected}: refusing to check with other rules"
        )


# --- the service ----------------------------------------------------------------------------------


@dataclass
class FixNotWritableError(DoseguardError):
    """A finding's fix cannot be written into the MedicationRequest (``io/fhir/updates.py``): the
    fix's ``field``, the FHIR ``path`` it would go to, and why. The card is still shown, without the
    suggestion."""

    field: str
    path: str
    reason: str

    def __str__(self) -> str:
        return f"cannot write the fix of {self.field} to {self.path}: {self.reason}"


@dataclass
class AuthError(DoseguardError):
    """A request to the CDS Hooks service is refused (HTTP 401): ``reason`` is what was wrong with its
    bearer token, said to the log and in the problem body (never the token itself)."""

    reason: str

    def __str__(self) -> str:
        return f"not authorised: {self.reason}"


@dataclass
class FeedbackStoreError(DoseguardError):
    """The feedback database cannot be opened, migrated or written: ``url`` without its password."""

    url: str
    message: str

    def __str__(self) -> str:
        return f"feedback database {self.url}: {self.message}"


class ServiceConfigError(DoseguardError):
    """A ``serve.yaml`` (or the flags over it) that cannot be used; ``problems`` lists every mistake,
    located as ``file:line:col`` like a rule file's."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


class RequestShapeError(DoseguardError):
    """A CDS Hooks request body that is not what the endpoint takes (HTTP 400): each problem names
    its field (``context.patientId``, ``context.selections[0]``)."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class PrefetchMissing(DoseguardError):
    """Prefetch ``keys`` the rules need that a request neither sent nor let the service fetch
    (HTTP 412); ``reason`` says why they could not be fetched."""

    def __init__(self, keys: list[str], reason: str) -> None:
        self.keys = keys
        self.reason = reason
        super().__init__(f"prefetch {', '.join(keys)} missing: {reason}")


class BodyTooLarge(DoseguardError):
    """A request body over the service's ``limit`` in bytes (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the request body is over {limit} bytes")


@dataclass
class NewerSchemaError(DoseguardError):
    """The feedback database was migrated by a newer doseguard: its schema ``revision`` is not one this
    one knows (``latest`` is the newest it knows)."""

    revision: str
    latest: str

    def __str__(self) -> str:
        return (
            f"its schema (revision {self.revision}) is newer than this doseguard knows "
            f"(latest {self.latest}): upgrade doseguard to use it"
        )
