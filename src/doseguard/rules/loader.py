"""Load rule packs from folders: validate and type-check everything, report every problem at once.

A pack is a folder of YAML files; ``pack.yaml`` (optional) names it and lists the drugs its rules are
about. A path given to :func:`load_rules` is either a pack or a folder of packs. Nothing is evaluated
until every file of every pack is free of problems. The loader knows no engine: each rule keeps where
its condition was written (:class:`ConditionSource`), and the engine locates what it cannot take
(``doseguard.engine.compiled``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from doseguard.errors import (
    ConditionError,
    ExpressionError,
    ProblemKind,
    RulePackError,
    RuleProblem,
    SourceLocation,
)
from doseguard.rules.conditions import ParsedWhen, offset_location, parse_when
from doseguard.rules.expressions import And, Const, Expr, Membership, Name
from doseguard.rules.files import NO_SUCH_OVERRIDES, PackFiles, discover, read_file
from doseguard.rules.fixes import check_fix
from doseguard.rules.history import AGGREGATE_NAME, Aggregate, HistorySpec, kind_problem, resolve
from doseguard.rules.messages import MessageTemplate, parse_message
from doseguard.rules.model import (
    NOTICES,
    ConditionSource,
    Override,
    Pack,
    PackSpec,
    Rule,
    RuleFileSpec,
    RuleSet,
    RuleSpec,
)
from doseguard.rules.override_reasons import reason_code_problems, with_reason_system
from doseguard.rules.overrides import SiteOverrides, read_overrides
from doseguard.rules.typecheck import ParameterValue, TypeChecker, unguarded_divisors
from doseguard.rules.yaml_source import PathKey, YamlDocument, load_yaml
from doseguard.suggestions import closest, did_you_mean
from doseguard.vocabulary import VOCABULARY, FieldSpec, FieldType, ndc_keys


def bundled_rules_dir() -> Path:
    """The rule packs shipped with doseguard (the repository's ``rules/``, or the installed copy)."""
    installed = Path(__file__).resolve().parent.parent / "bundled_rules"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[3] / "rules"


@dataclass(frozen=True)
class LoadedRules:
    """What loading found: the rules that loaded (every rule, when there are no ``problems``) and
    every problem, in file order. The rules that loaded despite problems elsewhere let a later stage
    (the engine) add its own problems to the same list."""

    rule_set: RuleSet
    problems: tuple[RuleProblem, ...]


def load_rules(paths: Sequence[Path | str] | None = None, *, overrides: Path | str | None = None) -> RuleSet:
    """Load and check rule packs, with a site's ``overrides`` file (YAML) applied; raises
    :class:`RulePackError` listing every problem of every file."""
    loaded = read_rules(paths, overrides=overrides)
    if loaded.problems:
        raise RulePackError(list(loaded.problems))
    return loaded.rule_set


def read_rules(
    paths: Sequence[Path | str] | None = None, *, overrides: Path | str | None = None
) -> LoadedRules:
    """:func:`load_rules`, returning the problems with the rules that loaded instead of raising."""
    loader = _Loader()
    if overrides is not None:
        loader.load_overrides(Path(overrides))
    roots = [Path(p) for p in paths] if paths else [bundled_rules_dir()]
    for root in roots:
        found = discover(root)
        loader.problems.extend(found.problems)
        loader.unread.extend(problem.location.path for problem in found.problems)
        for pack in found.packs:
            loader.load_pack(pack)
    return loader.finish()


class _Loader:
    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []
        self.rules: list[Rule] = []
        self.packs: list[Pack] = []
        self.digest = hashlib.sha256()
        self.first_seen: dict[str, SourceLocation] = {}
        self.site = SiteOverrides()
        self.written_ids: set[str] = set()
        self.unread: list[str] = []  # rule files (and folders) whose rule ids are not known
        self.codes_seen: dict[tuple[str, str], tuple[str, SourceLocation]] = {}  # (system, code): drug
        self.aggregates_seen: dict[str, tuple[Aggregate, SourceLocation]] = {}  # the first declaration
        self.placeholders: dict[str, FieldSpec] = {}  # the current pack's refused declarations

    def load_overrides(self, path: Path) -> None:
        document = self._read(path, NO_SUCH_OVERRIDES)
        if document is None or not self._is_mapping(document, OVERRIDES_FILE_IS):
            return
        self.site, problems = read_overrides(document, self._validate)
        self.problems.extend(problems)

    # Packs and files --------------------------------------------------------------------------

    def load_pack(self, files: PackFiles) -> None:
        folder = files.folder
        spec = PackSpec(name=_pack_name(folder), title=folder.resolve().name or "rules")
        aggregates: dict[str, Aggregate] = {}
        self.placeholders = {}
        if files.pack_file is not None:
            document = self._read(files.pack_file)
            if document is not None and self._is_mapping(document, PACK_FILE_IS):
                data = dict(document.data)
                history = data.get("history")
                if isinstance(history, dict):
                    del data["history"]  # each declaration on its own: one mistake hides no other
                validated = self._validate(PackSpec, data, document, ())
                spec = validated if isinstance(validated, PackSpec) else spec
                if isinstance(validated, PackSpec):
                    self._check_codes(document, validated)
                if isinstance(history, dict):
                    aggregates = self._history(document, history, spec)
        pack = Pack(spec, str(folder), _drug_names(spec), aggregates)
        # which pack the files that follow are in (findings name it, its drugs decide coverage)
        self.digest.update(b"pack\0" + spec.name.encode() + b"\0")
        self.packs.append(pack)
        for path in files.rule_files:
            self.load_file(path, pack)

    def _history(
        self, document: YamlDocument, history: dict[Any, Any], spec: PackSpec
    ) -> dict[str, Aggregate]:
        """The pack's aggregates, each declaration checked on its own. A refused one still names a
        number field for the pack's rules (:attr:`placeholders`): the load fails anyway, and its
        rules' problems would be echoes of the declaration's."""
        aggregates: dict[str, Aggregate] = {}
        drugs = list(dict.fromkeys(_drug_names(spec).values()))
        for key, raw in history.items():
            name = str(key)
            where = ("history", key)
            at = document.locate(where, at_key=True)
            if name in VOCABULARY:
                self._problem(at, f"history aggregate {name!r} has the name of a field; choose another name")
                continue
            self.placeholders[name] = FieldSpec(name, FieldType.NUMBER, name, "", unit="")
            if not re.fullmatch(AGGREGATE_NAME, name):
                self._problem(at, f"history aggregate {name!r}: a name is lower_snake_case (a-z, 0-9 and _, "
                              "starting with a letter)")  # fmt: skip
            if not isinstance(raw, dict):
                if not document.is_refused(where):
                    self._problem(document.locate(where), f"history aggregate {name!r}: a declaration is a "
                                  "mapping of keys (latest: haemoglobin, within_days: 30, ...)")  # fmt: skip
                continue
            declared = self._validate(HistorySpec, raw, document, where)
            if not isinstance(declared, HistorySpec):
                continue
            problem = kind_problem(declared)
            if problem is not None:
                self._problem(at, f"history aggregate {name!r}: {problem}")
                continue
            if not re.fullmatch(AGGREGATE_NAME, name):
                continue
            aggregate = resolve(name, declared, spec.name, drugs, spec.course_gap_days)
            first, first_at = self.aggregates_seen.setdefault(name, (aggregate, at))
            if not first.same_declaration(aggregate):
                self._problem(at, f"history aggregate {name!r} is declared differently by pack "
                              f"{first.pack!r} (at {first_at}): one name, one aggregate; rename one of "
                              "them")  # fmt: skip
                continue
            aggregates[name] = aggregate
            del self.placeholders[name]
        return aggregates

    def _check_codes(self, document: YamlDocument, spec: PackSpec) -> None:
        """A code names one drug: one listed for two drugs (of any pack) is a problem where it is
        listed again (an NDC in any of its written forms)."""
        for number, drug in enumerate(spec.drugs):
            name = drug.name.strip().lower()
            for system, listed in (("rxnorm", drug.codes.rxnorm), ("ndc", drug.codes.ndc)):
                for index, code in enumerate(listed):
                    where = document.locate(("drugs", number, "codes", system, index))
                    for key in (code,) if system == "rxnorm" else ndc_keys(code):
                        first, at = self.codes_seen.setdefault((system, key), (name, where))
                        if first != name:
                            self._problem(where, f"{system} {code!r} is also listed for {first} (at {at}): a "
                                          "code names one drug")  # fmt: skip

    def _read(self, path: Path, missing: str = "no such file") -> YamlDocument | None:
        """The file's YAML, with its problems recorded; None when it cannot be read or composed. Every
        file read counts in the rules version."""
        raw, problem = read_file(path, missing)
        if raw is None:
            self._problem(SourceLocation(str(path), 1, 1), problem or "cannot read", kind=ProblemKind.IO)
            return None
        self.digest.update(path.name.encode("utf-8", "surrogateescape") + b"\0" + raw + b"\0")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            self._problem(
                _byte_location(path, raw, error.start),
                f"not UTF-8 text ({error.reason})",
                kind=ProblemKind.IO,
            )
            return None
        document, problems = load_yaml(path, text)
        self.problems.extend(problems)
        return document

    def _is_mapping(self, document: YamlDocument, what: str) -> bool:
        """Whether the file's top level is a mapping; if not, say so (and what it holds, not its text:
        a file given by mistake may hold anything)."""
        if isinstance(document.data, dict):
            return True
        if () not in document.refused:  # a refused top level is reported already
            self._problem(document.locate(()), f"{_holds(document.data)}: {what}")
        return False

    def load_file(self, path: Path, pack: Pack) -> None:
        document = self._read(path)
        if document is None:
            self.unread.append(str(path))
            return
        if not self._is_mapping(document, RULE_FILE_IS):
            return
        if self._validate(RuleFileSpec, document.data, document, ()) is None:
            return
        for index, raw in enumerate(document.data["rules"]):
            where = ("rules", index)
            if document.has_refused(where):  # its schema only: a refused value would echo further on
                self._validate(RuleSpec, raw, document, where)
                continue
            try:
                self.load_rule(document, where, raw, pack)
            except RecursionError:
                rule_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
                self._problem(document.locate((*where, "when")), "the rule is nested too deeply to check",
                              kind=ProblemKind.TOO_DEEP, rule_id=rule_id)  # fmt: skip

    # One rule ---------------------------------------------------------------------------------

    def load_rule(self, document: YamlDocument, where: PathKey, raw: Any, pack: Pack) -> None:
        if not isinstance(raw, dict):
            self._problem(document.locate(where), "a rule is a mapping of keys (id:, title:, when:, ...)")
            return
        rule_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        if rule_id is not None:
            self.written_ids.add(rule_id)  # an override of a rule with problems is not "unknown"
        spec = self._validate(RuleSpec, raw, document, where, rule_id)
        vocabulary = {**pack.vocabulary, **self.placeholders}
        parameters = self._parameters(document, where, raw.get("parameters"), rule_id, vocabulary)
        if parameters is None:
            return  # its condition and message would be checked against parameters that are not there
        usable = isinstance(spec, RuleSpec)
        overrides: tuple[Override, ...] = ()
        if isinstance(spec, RuleSpec) and spec.id in self.first_seen:
            self._problem(
                document.locate((*where, "id")),
                f"duplicate rule id {spec.id!r} (first defined at {self.first_seen[spec.id]})",
                kind=ProblemKind.DUPLICATE_ID,
                rule_id=spec.id,
            )
            usable = False
        elif isinstance(spec, RuleSpec):
            self.first_seen[spec.id] = document.locate((*where, "id"))
            spec, parameters, overrides, problems = self.site.apply(spec, parameters, _parameter_value)
            if problems:  # the pack's own parameters are still checked below
                self.problems.extend(problems)
                usable = False
        checked = self._check_texts(document, where, raw, parameters, rule_id, vocabulary)
        fixes, fix_when, fix_problems = check_fix(document, where, raw, vocabulary, parameters, rule_id)
        self.problems.extend(fix_problems)
        self.problems.extend(reason_code_problems(document, (*where, "override_reasons"), rule_id))
        if not usable or not isinstance(spec, RuleSpec) or checked is None or fix_problems:
            return
        spec = with_reason_system(spec, pack.spec.override_reason_system)
        when, checker, resolved, message, message_fields = checked
        location = document.locate(where)
        if pack.drugs:
            scope = Membership("in", Name("drug"), Const(tuple(sorted(set(pack.drugs.values())))))
            resolved = And((scope, resolved))
        fields = frozenset(checker.fields_read | message_fields | ({"drug"} if pack.drugs else set()))
        warnings = tuple(
            RuleProblem(
                when.locate(document, at),
                text,
                kind=ProblemKind.ZERO_DIVISOR,
                rule_id=spec.id,
                severity="warning",
            )
            for at, _, text in unguarded_divisors(resolved, vocabulary)
        )
        source = _condition_source(document, (*where, "when"), when, resolved)
        unevaluated = spec.unevaluated
        rule = Rule(
            spec, pack.spec.name, location, resolved, message, fields, source, overrides, warnings,
            unevaluated_severity=(unevaluated and unevaluated.severity) or pack.spec.unevaluated_severity,
            unevaluated_message=unevaluated.message if unevaluated else None, fixes=fixes, fix_when=fix_when,
        )  # fmt: skip
        self.rules.append(rule)

    def _check_texts(
        self,
        document: YamlDocument,
        where: PathKey,
        raw: dict[Any, Any],
        parameters: dict[str, ParameterValue],
        rule_id: str | None,
        vocabulary: Mapping[str, FieldSpec],
    ) -> tuple[ParsedWhen, TypeChecker, Expr, MessageTemplate, set[str]] | None:
        """The rule's condition and message, parsed and type-checked, each on its own: a problem in
        one (or in the rule's other keys) does not hide a problem in the other. None if either has
        one, or is not there to check (the schema check says so)."""
        checker = TypeChecker(vocabulary, parameters)
        resolved: Expr | None = None
        when: ParsedWhen | None = None
        if isinstance(raw.get("when"), str | list | dict):
            try:
                when = parse_when(document, (*where, "when"), rule_id)
            except ConditionError as error:
                self.problems.append(error.problem)
        if when is not None:
            try:
                resolved = checker.check_condition(when.expression)
            except ExpressionError as error:
                location = when.locate(document, error.offset)
                self._problem(
                    location,
                    error.message,
                    kind=ProblemKind.TYPE,
                    rule_id=rule_id,
                    suggestion=error.suggestion,
                )
        text = raw.get("message")
        parsed: tuple[MessageTemplate, set[str]] | None = None
        if isinstance(text, str) and text.strip():
            try:
                parsed = parse_message(text.strip(), vocabulary, parameters)
            except ExpressionError as error:
                location = offset_location(document, (*where, "message"), error.offset)
                self._problem(
                    location, f"message: {error.message}", kind=ProblemKind.MESSAGE, rule_id=rule_id
                )
        if when is None or resolved is None or parsed is None:
            return None
        return when, checker, resolved, *parsed

    def _parameters(
        self,
        document: YamlDocument,
        where: PathKey,
        raw: Any,
        rule_id: str | None,
        vocabulary: Mapping[str, FieldSpec],
    ) -> dict[str, ParameterValue] | None:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            return None  # pydantic reports it
        result: dict[str, ParameterValue] = {}
        ok = True
        for name, value in raw.items():
            converted = _parameter_value(value)
            spot = (*where, "parameters", name)
            if converted is None:
                self._problem(
                    document.locate(spot),
                    f"parameter {name!r} must be a number, text, true/false, a list of numbers or of texts, "
                    "or a table (mapping) of numbers or of texts",
                    rule_id=rule_id,
                )
                ok = False
            elif name in VOCABULARY:
                self._problem(
                    document.locate(spot, at_key=True),
                    f"parameter {name!r} has the name of a field; choose another name",
                    rule_id=rule_id,
                )
                ok = False
            elif name in vocabulary:
                self._problem(
                    document.locate(spot, at_key=True),
                    f"parameter {name!r} has the name of a history aggregate of the pack; choose another "
                    "name",
                    rule_id=rule_id,
                )
                ok = False
            else:
                result[str(name)] = converted
        return result if ok else None

    # Validation helpers -----------------------------------------------------------------------

    def _validate(
        self,
        model: type[BaseModel],
        data: Any,
        document: YamlDocument,
        where: PathKey,
        rule_id: str | None = None,
    ) -> BaseModel | None:
        try:
            return model.model_validate(data)
        except ValidationError as error:
            for item in _useful_errors(error):
                loc = tuple(item["loc"])
                spot = (*where, *loc)
                if document.is_refused(spot):
                    continue  # its YAML problem says it already
                kind = item["type"]
                name = ".".join(str(part) for part in loc)
                meant = None
                if kind == "extra_forbidden":
                    key = str(loc[-1])
                    meant = closest(key, model.model_fields, any_case=True)
                    message = f"unknown key {key!r}{did_you_mean(meant)}"
                    location = document.locate(spot, at_key=True)
                elif kind == "missing":
                    message = f"missing required key {name!r}"
                    location = document.locate(spot[:-1])
                else:
                    got = item.get("input")
                    shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
                    text = str(item["msg"]).removeprefix("Value error, ")
                    message = f"{name}: {text}{shown}" if name else f"{text}{shown}"
                    location = document.locate(spot)
                self._problem(location, message, kind=ProblemKind.SCHEMA, rule_id=rule_id, suggestion=meant)
            return None

    def _problem(
        self,
        location: SourceLocation,
        message: str,
        *,
        kind: ProblemKind = ProblemKind.INVALID,
        rule_id: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.problems.append(
            RuleProblem(location, message, kind=kind, rule_id=rule_id, suggestion=suggestion)
        )

    def finish(self) -> LoadedRules:
        notices = []
        for notice in NOTICES:
            effective, problems = self.site.apply_notice(notice)
            self.problems.extend(problems)
            notices.append(effective)
        known = self.written_ids | {notice.id for notice in NOTICES}
        self.problems.extend(self.site.unused(known, list(dict.fromkeys(self.unread))))
        rule_set = RuleSet(tuple(self.rules), tuple(self.packs), self.digest.hexdigest()[:12], tuple(notices))
        return LoadedRules(rule_set, tuple(in_file_order(self.problems)))


def in_file_order(problems: Iterable[RuleProblem]) -> list[RuleProblem]:
    """Each problem once (an alias used many times: say it once), by file, line and column; problems
    at one place keep the order they were found in."""
    unique = list(dict.fromkeys(problems))
    unique.sort(key=lambda p: (p.location.path, p.location.line, p.location.column))
    return unique


def _condition_source(
    document: YamlDocument, when_key: PathKey, when: ParsedWhen, condition: Expr
) -> ConditionSource:
    """Where the ``when:`` value and each position of ``condition`` were written (every position a
    later stage can name: its compiler builds nodes only with positions of this tree, or 0)."""
    positions: set[int] = {0}
    pending: list[Any] = [condition]
    while pending:
        node = pending.pop()
        positions.add(node.pos)
        for value in vars(node).values():  # the children: nodes, or tuples of them (a node has a pos)
            if type(value) is tuple:
                pending.extend(item for item in value if hasattr(item, "pos"))
            elif hasattr(value, "pos"):
                pending.append(value)
    located = {position: when.locate(document, position) for position in sorted(positions)}
    return ConditionSource(document.locate(when_key), located)


RULE_FILE_IS = "a rule file is a mapping with a 'rules:' list"
PACK_FILE_IS = "a pack file is a mapping (name:, title:, drugs:, ...)"
OVERRIDES_FILE_IS = "an overrides file is a mapping with an 'overrides:' list"


def _holds(data: Any) -> str:
    if data is None:
        return "the file is empty"
    kind = (
        "text" if isinstance(data, str)
        else "a list" if isinstance(data, list)
        else "true or false" if isinstance(data, bool)
        else "a number" if isinstance(data, int | float)
        else "a single value"
    )  # fmt: skip
    return f"this one holds {kind}"


def _byte_location(path: Path, raw: bytes, offset: int) -> SourceLocation:
    """Line and column (in characters) of a byte offset."""
    start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[start:offset].decode("utf-8", "replace")) + 1
    return SourceLocation(str(path), raw.count(b"\n", 0, offset) + 1, column)


def _useful_errors(error: ValidationError) -> Iterable[dict[str, Any]]:
    """pydantic reports one error per member of a union; keep one per location."""
    seen: set[tuple[Any, ...]] = set()
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not (isinstance(part, str) and "[" in part))
        if loc in seen:
            continue
        seen.add(loc)
        yield {**item, "loc": loc}


def _parameter_value(value: Any) -> ParameterValue | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            return tuple(value)
        if value and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            return tuple(float(v) for v in value)
        return None
    if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
            return {k: float(v) for k, v in value.items()}
        if all(isinstance(v, str) for v in value.values()):
            return dict(value)
    return None


def _pack_name(folder: Path) -> str:
    """A pack without a pack file is named after its folder, made to fit a pack name (``rules.v2``
    is ``rules-v2``): a folder may be called anything, and its name is not a problem in a file."""
    name = re.sub(r"[^a-z0-9_-]", "-", folder.resolve().name.lower())
    return name if re.match(r"[a-z]", name) else f"pack-{name}"


def _drug_names(spec: PackSpec) -> dict[str, str]:
    names: dict[str, str] = {}
    for drug in spec.drugs:
        canonical = drug.name.strip().lower()
        names[canonical] = canonical
        for synonym in drug.synonyms:
            names[synonym.strip().lower()] = canonical
    return names
