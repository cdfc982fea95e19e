"""The engine adapter: the only module that talks to durable-rules.

durable-rules 2.0.28 kills the process (segfault, SIGFPE, endless loop) on inputs that look ordinary,
so this adapter drives its C core directly, on a narrow path that stays clear of every hazard we know
(see ``shared/notes/durable-rules.md`` and ``tests/engine/test_adapter.py``, one test per hazard):

* no ``Host``: its two self-re-arming timer threads run actions on another thread and can segfault;
  we call ``assert_fact`` → ``start_action_for_state`` → ``complete_and_start_action`` ourselves, so
  nothing runs outside the caller's thread and no Python action can swallow an exception;
* every ruleset has a catch-all rule anchored on ``kind == "order"``, so no fact is ever unhandled
  (an unhandled fact followed by ``delete_state`` segfaults) and no rule is made of ``$nex`` alone;
* one state at a time, always deleted after use (more than 1024 live states fail and then crash);
  a state holds one order, or a batch of orders as facts with distinct ids (the rules read one fact
  each, so orders in one state cannot see each other; identical facts would be refused as repeats);
* facts are checked against the vocabulary and serialised here: numbers as floats in fixed notation
  (the engine rejects exponents and truncates integer division), no ``null``s, no empty lists, and
  strings escaped exactly like the rules (otherwise non-ASCII text never matches);
* rules are spread over several rulesets so that one fact never matches more than 60 alpha paths
  (error 303 past 64);
* ``delete_state`` on a state whose actions have not all run segfaults (found here, not in the
  notes): after any failure the ruleset is replaced, never its state released;
* every engine exception becomes :class:`EngineError`: nothing of durable-rules leaks out.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from itertools import count
from typing import Any

import durable_rules_engine as _engine

from doseguard.engine.limits import CompiledRule, plan_shards
from doseguard.errors import EngineError
from doseguard.vocabulary import VOCABULARY, FieldSpec, FieldType

ANCHOR: dict[str, Any] = {"kind": "order"}
FACT_HEAD = '{"kind":"order","sid":"0","id":"0"'
"""How every encoded fact starts; a batch gives each fact its own id in place of the last "0"."""
BATCH_SIZE = 128
CATCH_ALL = "$doseguard-catch-all"
MAX_TEXT_LENGTH = 10_000
MAX_NUMBER = 1e12

_RESULT_CODES = {
    1: "the fact matched no rule (the catch-all rule is missing)",
    2: "the same fact was asserted twice",
}
_ruleset_names = count(1)


_KEYS = {name: f",{json.dumps(name)}:" for name in VOCABULARY}


_NUMBER_KEYS = {name: _KEYS[name] for name, spec in VOCABULARY.items() if spec.type is FieldType.NUMBER}
_STRING_KEYS = {name: _KEYS[name] for name, spec in VOCABULARY.items() if spec.type is FieldType.STRING}
_STRING_LIST_KEYS = {
    name: _KEYS[name] for name, spec in VOCABULARY.items() if spec.type is FieldType.STRING_LIST
}


def encode_fact(facts: Mapping[str, Any], vocabulary: Mapping[str, FieldSpec] = VOCABULARY) -> str:
    """The JSON the engine can read safely; raises :class:`EngineError` for data it must not see.

    The values facts hold nearly always (a float in range, plain ASCII text, a list of it, in a field
    of that type) are written on a short path; any other value takes :func:`_encode_field`, the full
    check, which is also the meaning of the short path (``tests/engine/test_encode_fact.py``).
    """
    if vocabulary is not VOCABULARY:
        return encode_fact_checked(facts, vocabulary)
    parts = [FACT_HEAD]
    for name, value in facts.items():
        kind = type(value)
        if kind is float:
            part = _NUMBER_PARTS.get((name, value)) if value else None  # 0.0 and -0.0: one key
            if part is not None:
                parts.append(part)
                continue
            key = _NUMBER_KEYS.get(name)
            if key is not None and (text := _short_number(value)) is not None:
                part = key + text
                if value and len(_NUMBER_PARTS) < _NUMBER_PARTS_SIZE:
                    _NUMBER_PARTS[name, value] = part
                parts.append(part)
                continue
        elif kind is str:
            key = _STRING_KEYS.get(name)
            if key is not None and _plain(value):
                parts.append(f'{key}"{value}"')
                continue
        elif kind is list and value:
            key = _STRING_LIST_KEYS.get(name)
            if key is not None and all(type(item) is str and _plain(item) for item in value):
                parts.append(key + '["' + '","'.join(value) + '"]')
                continue
        encoded = _encode_field(name, value, vocabulary)
        if encoded is not None:
            parts.append(encoded)
    parts.append("}")
    return "".join(parts)


_NUMBER_PARTS: dict[tuple[str, float], str] = {}
"""A number field's encoded part by field and value (the first met, at most ``_NUMBER_PARTS_SIZE``):
intervals, durations and strengths come back in every order. Never zero: 0.0 and -0.0 are one key
but two texts."""
_NUMBER_PARTS_SIZE = 16_384


def _short_number(value: float) -> str | None:
    """A float as the engine reads it when that is its repr (in range, no exponent), else None: the
    full check (``_number``) writes the others."""
    if -MAX_NUMBER <= value <= MAX_NUMBER:
        text = repr(value)
        if "e" not in text:
            return text
    return None


def _plain(text: str) -> bool:
    """Text that JSON writes as it is, between quotes (short texts found so are remembered: codes,
    drug names and sites come back in every order)."""
    if text in _PLAIN_TEXTS:
        return True
    plain = (
        len(text) <= MAX_TEXT_LENGTH
        and text.isascii()
        and text.isprintable()
        and '"' not in text
        and "\\" not in text
    )
    if plain and len(text) <= _REMEMBERED_LENGTH and len(_PLAIN_TEXTS) < _PLAIN_TEXTS_SIZE:
        _PLAIN_TEXTS.add(text)
    return plain


_PLAIN_TEXTS: set[str] = set()
_PLAIN_TEXTS_SIZE = 16_384
"""Plain texts remembered, at most (the first met: then no more are added)."""
_REMEMBERED_LENGTH = 64


def encode_fact_with(
    facts: Mapping[str, Any], extra: Mapping[str, Any], vocabulary: Mapping[str, FieldSpec]
) -> str:
    """``encode_fact({**facts, **extra}, vocabulary)`` for an order's facts (of the order vocabulary:
    the short path) and a few more fields of ``vocabulary`` (history aggregates: the full check)."""
    if any(name in facts for name in extra):
        return encode_fact_checked({**facts, **extra}, vocabulary)
    tail = [encode_fact(facts)[:-1]]
    for name, value in extra.items():
        if type(value) is float and _number_field(name, vocabulary) and (text := _short_number(value)):
            tail.append(_key(name) + text)
            continue
        encoded = _encode_field(name, value, vocabulary)
        if encoded is not None:
            tail.append(encoded)
    tail.append("}")
    return "".join(tail)


def _key(name: str) -> str:
    """``,"name":`` (written once a name: an order with history has a score of aggregates)."""
    key = _KEYS.get(name) or _EXTRA_KEYS.get(name)
    if key is None:
        key = f",{json.dumps(name)}:"
        if len(_EXTRA_KEYS) < _EXTRA_KEYS_SIZE:
            _EXTRA_KEYS[name] = key
    return key


_EXTRA_KEYS: dict[str, str] = {}
_EXTRA_KEYS_SIZE = 4096
"""At most so many names kept (names come from the loaded packs: a bound, not a policy)."""


def _number_field(name: str, vocabulary: Mapping[str, FieldSpec]) -> bool:
    spec = vocabulary.get(name)
    return spec is not None and spec.type is FieldType.NUMBER


def encode_fact_checked(facts: Mapping[str, Any], vocabulary: Mapping[str, FieldSpec] = VOCABULARY) -> str:
    """What :func:`encode_fact` writes, every field through the full check (the reference)."""
    parts = [FACT_HEAD]
    for name, value in facts.items():
        encoded = _encode_field(name, value, vocabulary)
        if encoded is not None:
            parts.append(encoded)
    parts.append("}")
    return "".join(parts)


def _encode_field(name: str, value: Any, vocabulary: Mapping[str, FieldSpec]) -> str | None:
    """``,"name":value``, or None for a field a fact leaves out (no value, an empty list)."""
    if value is None or (isinstance(value, list | tuple) and not value):
        return None
    spec = vocabulary.get(name)
    if spec is None:
        raise EngineError(f"fact field {name!r} is not in the vocabulary", fact_field=name)
    key = _KEYS.get(name) or f",{json.dumps(name)}:"
    return f"{key}{_encode_value(name, spec.type, value)}"


def _encode_value(name: str, kind: FieldType, value: Any) -> str:
    if kind is FieldType.NUMBER:
        return _number(name, value)
    if kind is FieldType.BOOL:
        if not isinstance(value, bool):
            raise EngineError(f"fact field {name!r} must be true or false, got {value!r}", fact_field=name)
        return "true" if value else "false"
    if kind is FieldType.STRING:
        return _text(name, value)
    if not isinstance(value, list | tuple):
        raise EngineError(f"fact field {name!r} must be a list, got {type(value).__name__}", fact_field=name)
    encode = _number if kind is FieldType.NUMBER_LIST else _text
    return "[" + ",".join(encode(name, item) for item in value) + "]"


def _number(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EngineError(f"fact field {name!r} must be a number, got {value!r}", fact_field=name)
    number = float(value)
    if math.isnan(number) or abs(number) > MAX_NUMBER:
        raise EngineError(f"fact field {name!r} is out of range: {value!r}", fact_field=name)
    text = repr(number)
    if "e" in text or "E" in text:  # the engine rejects exponents, negative ones included (error 204)
        # Every digit of the shortest repr, positionally: nine decimals wrote 1e-10 as 0.000000000, a
        # stated divisor the engine then read as 0.
        text = format(Decimal(text), "f")
        text = text if "." in text else text + ".0"
    return text


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise EngineError(f"fact field {name!r} must be text, got {value!r}", fact_field=name)
    if len(value) > MAX_TEXT_LENGTH:
        raise EngineError(f"fact field {name!r} is longer than {MAX_TEXT_LENGTH} characters", fact_field=name)
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'  # what json.dumps would write, without its cost
    return json.dumps(value, ensure_ascii=True)


ARRAY_OPERATORS = ("$iany", "$iall")
_CREATE_ERRORS = {
    "102": "ERR_UNEXPECTED_TYPE",
    "113": "ERR_EXPRESSION_LIMIT_EXCEEDED",
    "202": "ERR_PARSE_STRING",
    "204": "ERR_PARSE_OBJECT",
    "507": "ERR_REGEX_CONFLICT",
}


def _create_ruleset(definition: str) -> Any:
    """Create a ruleset, once: a refusal is reported with the engine's name for its code.

    There is no retry. The one "rare" failure ever seen (error 102, ``ERR_UNEXPECTED_TYPE``, for a few
    minutes of runs, then gone) had a cause, now avoided: an ``$or`` directly under ``$iany`` makes
    ``createRuleset`` check the type of an operand it never initialised (``createForwardAlpha`` in
    rete.c), so the outcome depended on what the heap of the fresh process happened to hold
    (environment size, hash seed, what was imported first); see ``docs/engine-hazards.md``. The
    compiler never writes that shape and :func:`ruleset_json` refuses it, so a 102 now is a real,
    repeatable refusal of the definition.
    """
    try:
        return _engine.create_ruleset(f"doseguard-{next(_ruleset_names)}", definition)
    except _engine.error as error:
        text = str(error)
        code = text.rsplit(" ", 1)[-1]
        name = _CREATE_ERRORS.get(code)
        meaning = f" ({name})" if name else ""
        raise EngineError(
            f"the engine refused the compiled rules: {text}{meaning}; tried once (a refusal is not retried: "
            "the one intermittent cause known, an $or directly under $iany/$iall, is never compiled)",
            code=int(code) if code.isdigit() else None,
        ) from None


def _check_shape(condition: Any, rule_id: str) -> None:
    """Refuse the condition shapes that make the engine read memory it never wrote."""
    if isinstance(condition, dict):
        for key, value in condition.items():
            if key in ARRAY_OPERATORS and isinstance(value, dict):
                for inner in value.values():
                    if isinstance(inner, dict) and _ends_in_or(inner):
                        raise EngineError(
                            f"refusing a condition with an $or directly under {key} (the engine reads "
                            "uninitialised memory for it and fails at random with error 102)",
                            rule_id=rule_id,
                        )
            _check_shape(value, rule_id)
    elif isinstance(condition, list):
        for item in condition:
            _check_shape(item, rule_id)


def _ends_in_or(inner: dict[str, Any]) -> bool:
    """Whether the engine's last node for an array test is an ``$or`` (its ``$and`` ends in its last item)."""
    if "$or" in inner:
        return True
    items = inner.get("$and")
    return isinstance(items, list) and bool(items) and isinstance(items[-1], dict) and _ends_in_or(items[-1])


def ruleset_json(rules: Iterable[CompiledRule]) -> str:
    """One durable-rules ruleset: the rules, anchored, plus the catch-all."""
    definition: dict[str, Any] = {CATCH_ALL: {"all": [{"m": ANCHOR}]}}
    for rule in rules:
        condition = rule.compiled
        _check_shape(condition, rule.id)
        anchored = ANCHOR if condition is True else {"$and": [ANCHOR, condition]}
        definition[rule.id] = {"all": [{"m": anchored}]}
    return _dumps(definition)


def _dumps(value: Any) -> str:
    """JSON as the engine reads it: like ``json.dumps(ensure_ascii=True)``, but numbers in fixed
    notation (the engine refuses ``1e-05`` as it refuses ``1e+20``)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{_dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    return _number("rule", value)


class DurableEngine:
    """Evaluates one order's facts against compiled rules; returns the ids of the rules that fired.

    Not for sharing between processes (build one per worker). Calls from several threads are
    serialised: the C core keeps the GIL anyway.
    """

    def __init__(self, rules: Sequence[CompiledRule]) -> None:
        self._rule_ids = frozenset(rule.id for rule in rules)
        if CATCH_ALL in self._rule_ids:
            raise EngineError(f"{CATCH_ALL!r} is reserved")
        self._definitions = [ruleset_json(shard) for shard in plan_shards(rules)] or [ruleset_json([])]
        self._lock = threading.Lock()
        self._handles = self._create()

    def _create(self) -> list[Any]:
        return [_create_ruleset(definition) for definition in self._definitions]

    @property
    def ruleset_count(self) -> int:
        return len(self._handles)

    def fired(self, facts: Mapping[str, Any]) -> frozenset[str]:
        """Ids of the rules whose conditions hold for ``facts``; raises :class:`EngineError`."""
        return self.fired_encoded(encode_fact(facts))

    def fired_encoded(self, fact_json: str) -> frozenset[str]:
        with self._lock:
            fired: set[str] = set()
            for index in range(len(self._handles)):
                fired |= self._run(index, fact_json)
            fired.discard(CATCH_ALL)
            return frozenset(fired)

    def fired_many(self, fact_jsons: Sequence[str]) -> list[frozenset[str] | EngineError]:
        """``fired_encoded`` for many orders at once, in batches that share one engine state.

        About twice as fast as one order at a time. If a batch fails, its orders are evaluated one
        by one, so that only an order the engine cannot take gets an :class:`EngineError`.
        """
        results: list[frozenset[str] | EngineError] = []
        for start in range(0, len(fact_jsons), BATCH_SIZE):
            part = fact_jsons[start : start + BATCH_SIZE]
            try:
                results.extend(self._batch(part))
            except EngineError:
                for fact_json in part:
                    try:
                        results.append(self.fired_encoded(fact_json))
                    except EngineError as error:
                        results.append(error)
        return results

    def _batch(self, fact_jsons: Sequence[str]) -> list[frozenset[str]]:
        if len(fact_jsons) == 1:
            return [self.fired_encoded(fact_jsons[0])]
        head = len(FACT_HEAD) - 3  # up to the id's value
        batch = "[" + ",".join(f'{j[:head]}"{n}"{j[head + 3 :]}' for n, j in enumerate(fact_jsons)) + "]"
        with self._lock:
            fired: list[set[str]] = [set() for _ in fact_jsons]
            for index in range(len(self._handles)):
                for number, names in enumerate(self._run_batch(index, batch, len(fact_jsons))):
                    fired[number] |= names
        for names in fired:
            names.discard(CATCH_ALL)
        return [frozenset(names) for names in fired]

    def _run_batch(self, index: int, batch: str, count: int) -> list[set[str]]:
        return self._drain(index, batch, count, many=True)

    def _run(self, index: int, fact_json: str) -> set[str]:
        return self._drain(index, fact_json, 1, many=False)[0]

    def _drain(self, index: int, facts: str, count: int, *, many: bool) -> list[set[str]]:
        """Assert, run every action, check each fact met the catch-all, then release the state.

        On anything unexpected the state is *not* released: ``delete_state`` on a state whose actions
        were not all run segfaults. The ruleset is replaced instead (see :meth:`_reset`).
        """
        handle = self._handles[index]
        fired: list[set[str]] = [set() for _ in range(count)]
        try:
            code, state = (_engine.assert_facts if many else _engine.assert_fact)(handle, facts)
            if code != 0:
                raise EngineError(_RESULT_CODES.get(code, f"unexpected engine result {code}"), code=code)
            result = _engine.start_action_for_state(handle, state)
            while result:
                message = result[1] if isinstance(result, tuple) else result
                name = message[2 : message.index('"', 2)]  # '{"RULE-ID": {"m": {..., "id": "N", ...}}}'
                at = message.index('"id":"') + 6
                fired[int(message[at : message.index('"', at)])].add(name)
                result = _engine.complete_and_start_action(handle, state)
            if any(CATCH_ALL not in names for names in fired):
                raise EngineError(
                    "the engine did not run the catch-all rule for every order; evaluation incomplete"
                )
            _engine.delete_state(handle, "0")
        except _engine.error as error:
            self._reset(index)
            raise EngineError(f"the engine failed: {error}") from None
        except EngineError:
            self._reset(index)
            raise
        except Exception as error:  # a malformed engine message must not look like "no findings"
            self._reset(index)
            raise EngineError(f"unexpected engine behaviour: {error!r}") from None
        unknown = set().union(*fired) - self._rule_ids - {CATCH_ALL}
        if unknown:
            raise EngineError(f"the engine fired unknown rules: {sorted(unknown)}")
        return fired

    def _reset(self, index: int) -> None:
        """After a failure, replace the ruleset: its half-used state cannot be released safely.

        The old ruleset is abandoned (a small leak, on a path that should never be taken).
        """
        try:
            self._handles[index] = _create_ruleset(self._definitions[index])
        except EngineError as error:
            raise EngineError(f"the engine could not be restarted: {error}") from None
