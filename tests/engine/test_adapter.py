"""One test per durable-rules 2.0.28 hazard that applies to us (shared/notes/durable-rules.md).

Hazards that kill or hang the process are exercised in a child process with a time limit, so a
regression fails this test instead of taking the whole suite down.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

import doseguard
from doseguard.engine import adapter
from doseguard.engine.adapter import CATCH_ALL, DurableEngine, encode_fact, ruleset_json
from doseguard.engine.limits import MAX_PATHS_PER_RULESET
from doseguard.errors import EngineError
from doseguard.vocabulary import VOCABULARY
from tests.helpers.stub_rules import StubRule, rule


def run_isolated(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; a crash or hang shows up as a failed assertion."""
    program = "import sys\nsys.path[:0] = " + repr(sys.path) + "\n" + textwrap.dedent(code)
    try:
        return subprocess.run(
            [sys.executable, "-c", program], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the engine hung (no answer within {timeout} s)")


def test_no_timer_threads_are_started() -> None:
    """Host() starts self-re-arming Timer threads that run actions elsewhere and can segfault."""
    before = threading.active_count()
    engine = DurableEngine([rule("R", "dose_mcg > 1")])
    assert engine.fired({"dose_mcg": 2.0}) == {"R"}
    assert threading.active_count() == before
    assert "durable.engine" not in sys.modules  # the Host layer is never imported


def test_a_fact_that_matches_no_rule_is_handled_and_deleted_safely() -> None:
    """An unhandled fact followed by delete_state segfaults: the catch-all rule prevents it."""
    result = run_isolated(
        """
        from doseguard.engine.adapter import DurableEngine
        from tests.helpers.stub_rules import rule
        engine = DurableEngine([rule("R", "dose_mcg > 1000")])
        fired = [engine.fired({"dose_mcg": 5.0}) for _ in range(3000)]
        print(sum(len(f) for f in fired))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


def test_every_ruleset_has_the_catch_all_anchored_on_kind() -> None:
    definition = json.loads(ruleset_json([rule("R", "dose_mcg > 1")]))
    assert definition[CATCH_ALL] == {"all": [{"m": {"kind": "order"}}]}
    assert definition["R"]["all"][0]["m"]["$and"][0] == {"kind": "order"}


def test_a_rule_made_only_of_negations_does_not_loop() -> None:
    """A rule of $nex terms alone matches the engine's own state fact and loops (issue #288)."""
    result = run_isolated(
        """
        from doseguard.engine.adapter import DurableEngine
        from tests.helpers.stub_rules import rule
        engine = DurableEngine([rule("NOSITE", "missing(site)"), rule("NOTHING", "not exists(dose_mcg)")])
        print(sorted(engine.fired({"route": "IM"})), sorted(engine.fired({"site": "deltoid", "dose_mcg": 1.0})))
        """,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['NOSITE', 'NOTHING'] []"


def test_rules_cannot_condition_on_sid_or_id() -> None:
    """{"$ex": {"sid": 1}} loops: sid and id are not in the vocabulary, so no rule can name them."""
    for name in ("sid", "id", "kind"):
        with pytest.raises(Exception, match="unknown field"):
            rule("R", f"exists({name})")


def test_more_than_1024_orders_never_exhaust_engine_states() -> None:
    """More than 1024 live sids fail and then crash: each order's state is deleted after use."""
    result = run_isolated(
        """
        from doseguard.engine.adapter import DurableEngine
        from tests.helpers.stub_rules import rule
        engine = DurableEngine([rule("R", "dose_mcg > 1")])
        print(sum(len(engine.fired({"dose_mcg": float(i % 7)})) for i in range(5000)))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(sum(1 for i in range(5000) if i % 7 > 1))


def test_the_same_fact_twice_is_evaluated_twice() -> None:
    """Identical facts in one state raise MessageObservedException: one order per state, deleted."""
    engine = DurableEngine([rule("R", "dose_mcg > 1")])
    assert [engine.fired({"dose_mcg": 2.0}) for _ in range(3)] == [{"R"}] * 3


def test_missing_operands_never_match() -> None:
    """Comparing against a missing property reads uninitialised memory: every operand is guarded."""
    engine = DurableEngine(
        [
            rule("GT", "volume_ml > dose_mcg / concentration_mcg_per_ml"),
            rule("LT", "volume_ml < dose_mcg / concentration_mcg_per_ml"),
            rule("NE", "route != 'IM'"),
        ]
    )
    for facts in (
        {},
        {"volume_ml": 1.0},
        {"dose_mcg": 1.0, "concentration_mcg_per_ml": 1.0},
        {"site": "deltoid"},
    ):
        assert engine.fired(facts) == set(), facts


def test_division_is_in_floating_point() -> None:
    """Integer $div truncates (250/70 = 3): facts always carry floats."""
    engine = DurableEngine([rule("R", "volume_ml > dose_mcg / concentration_mcg_per_ml")])
    # 250/70 is 3.57: truncated to 3, a volume of 3.5 would wrongly exceed it
    assert engine.fired({"volume_ml": 3.5, "dose_mcg": 250, "concentration_mcg_per_ml": 70}) == set()
    assert engine.fired({"volume_ml": 3.6, "dose_mcg": 250, "concentration_mcg_per_ml": 70}) == {"R"}
    assert '"dose_mcg":250.0' in encode_fact({"dose_mcg": 250})


def test_division_by_zero_does_not_kill_the_process() -> None:
    """Integer division by zero is a SIGFPE: divisors are guarded with != 0, in both polarities (a
    comparison that divides by zero cannot be evaluated: neither it nor its negation fires, and the
    checker reports the order as an error)."""
    result = run_isolated(
        """
        from doseguard.engine.adapter import DurableEngine
        from tests.helpers.stub_rules import rule
        engine = DurableEngine([rule("R", "volume_ml > dose_mcg / concentration_mcg_per_ml"),
                                rule("N", "not (volume_ml > dose_mcg / concentration_mcg_per_ml)")])
        print(sorted(engine.fired({"volume_ml": 1.0, "dose_mcg": 250.0, "concentration_mcg_per_ml": 0.0})))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("value", [1e-7, 2.5e-6, 1e11, 123456789012.0])
def test_numbers_are_never_written_with_an_exponent(value: float) -> None:
    """The engine rejects 1e+20 and 1e-05 alike (error 204)."""
    encoded = encode_fact({"dose_mcg": value})
    assert "e" not in encoded.split('"dose_mcg":')[1]
    engine = DurableEngine([rule("R", "dose_mcg > 0")])
    assert engine.fired({"dose_mcg": value}) == {"R"}


def test_out_of_range_numbers_are_refused_before_the_engine() -> None:
    with pytest.raises(EngineError, match="out of range"):
        encode_fact({"dose_mcg": 1e20})
    with pytest.raises(EngineError, match="out of range"):
        encode_fact({"dose_mcg": float("nan")})


def test_nulls_and_empty_lists_are_not_sent() -> None:
    """null counts as present for $ex; an empty list is not a list of anything."""
    engine = DurableEngine([rule("R", "exists(site)"), rule("L", "exists(red_flags)")])
    assert engine.fired({"site": None, "red_flags": []}) == set()
    assert encode_fact({"site": None, "red_flags": []}) == '{"kind":"order","sid":"0","id":"0"}'


def test_strings_and_numbers_are_never_mixed() -> None:
    """The engine compares "10" < 5 as strings: facts are type-checked against the vocabulary."""
    with pytest.raises(EngineError, match="must be a number"):
        encode_fact({"dose_mcg": "10"})
    with pytest.raises(EngineError, match="must be text"):
        encode_fact({"route": 1.0})
    with pytest.raises(EngineError, match="not in the vocabulary"):
        encode_fact({"sid": "1"})


def test_rules_comparing_numbers_with_text_are_refused() -> None:
    """A $gt against a string literal is accepted by the engine and never matches."""
    with pytest.raises(Exception, match="compares numbers"):
        rule("R", "dose_mcg > '10'")


def test_non_ascii_text_matches() -> None:
    """Rules and facts must be escaped alike, or non-ASCII text (µg, μg) never matches."""
    engine = DurableEngine(
        [rule("MICRO", "notation_tokens contains 'µg'"), rule("MU", "notation_tokens contains 'μg'")]
    )
    assert engine.fired({"notation_tokens": ["µg"]}) == {"MICRO"}
    assert engine.fired({"notation_tokens": ["μg"]}) == {"MU"}
    assert engine.fired({"notation_tokens": ['say "µg"']}) == set()


def test_an_or_that_matches_twice_yields_one_finding() -> None:
    engine = DurableEngine([rule("R", "dose_mcg > 1 or volume_ml > 1")])
    assert engine.fired({"dose_mcg": 2.0, "volume_ml": 2.0}) == {"R"}


def test_more_rules_than_one_ruleset_can_match_are_sharded() -> None:
    """A fact matching more than 64 alpha nodes fails with error 303: rules are spread out."""
    rules = [rule(f"R{i}", f"dose_mcg > {i}") for i in range(150)]
    engine = DurableEngine(rules)
    assert engine.ruleset_count >= 150 // MAX_PATHS_PER_RULESET
    assert engine.fired({"dose_mcg": 1000.0}) == {f"R{i}" for i in range(150)}


def test_engine_failures_become_engine_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from durable-rules leaks out, and a failed evaluation never looks like 'no findings'."""
    engine = DurableEngine([rule("R", "dose_mcg > 1")])

    def broken(*_: Any) -> Any:
        raise adapter._engine.error("Could not assert fact, error code: 204")

    monkeypatch.setattr(adapter._engine, "assert_fact", broken)
    with pytest.raises(EngineError, match="204"):
        engine.fired({"dose_mcg": 2.0})


def test_a_missing_catch_all_action_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the engine stops early, the evaluation is incomplete: an error, not a pass."""
    engine = DurableEngine([rule("R", "dose_mcg > 1")])
    monkeypatch.setattr(adapter._engine, "start_action_for_state", lambda *_: None)
    with pytest.raises(EngineError, match="catch-all"):
        engine.fired({"dose_mcg": 2.0})


def test_the_engine_recovers_after_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = DurableEngine([rule("R", "dose_mcg > 1")])
    original = adapter._engine.start_action_for_state
    monkeypatch.setattr(adapter._engine, "start_action_for_state", lambda *_: None)
    with pytest.raises(EngineError):
        engine.fired({"dose_mcg": 2.0})
    monkeypatch.setattr(adapter._engine, "start_action_for_state", original)
    assert engine.fired({"dose_mcg": 2.0}) == {"R"}


def test_the_vocabulary_fits_the_engine_property_limit() -> None:
    """The engine takes at most 254 properties per fact (3 are ours: kind, sid, id)."""
    assert len(VOCABULARY) + 3 <= 254


def test_only_the_adapter_imports_durable_rules() -> None:
    root = Path(doseguard.__file__).parent
    importers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "durable_rules_engine" in path.read_text() or "import durable" in path.read_text()
    )
    assert importers == ["engine/adapter.py"]


def test_a_refused_ruleset_is_not_retried_and_the_error_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """The intermittent 102 had a cause, now avoided (see the stale-heap tests): a refusal is reported
    at once, with the engine's name for the code and what was tried, instead of being retried."""
    calls: list[str] = []

    def refuse(name: str, definition: str) -> Any:
        calls.append(name)
        raise adapter._engine.error("Could not create ruleset, error code: 102")

    monkeypatch.setattr(adapter._engine, "create_ruleset", refuse)
    with pytest.raises(EngineError, match=r"102 \(ERR_UNEXPECTED_TYPE\); tried once") as raised:
        DurableEngine([rule("R", "dose_mcg > 1")])
    assert "$iany" in str(raised.value)
    assert len(calls) == 1


def test_a_ruleset_the_engine_always_refuses_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str, definition: str) -> Any:
        raise adapter._engine.error("Could not create ruleset, error code: 113")

    monkeypatch.setattr(adapter._engine, "create_ruleset", refuse)
    with pytest.raises(EngineError, match="113"):
        DurableEngine([rule("R", "dose_mcg > 1")])


STALE_HEAP = """
import json
from doseguard.engine.limits import plan_shards
from doseguard.engine import adapter
from doseguard.engine.adapter import ruleset_json
from tests.helpers.stub_rules import rule
{setup}
definitions = [ruleset_json(shard) for shard in plan_shards(RULES)]
refused = []
for attempt in range(20):
    for definition in definitions:
        # Freed blocks full of 0x09 (JSON_IDENTIFIER) or 0x0C (JSON_EXPRESSION): what a fresh
        # process's heap may hold where the engine reads a node field it never wrote.
        junk = [bytes([9 if attempt % 2 else 12]) * (3000 + 8 * attempt) for _ in range(50)]
        del junk
        try:
            adapter._engine.create_ruleset(f"stale-{{attempt}}", definition)
        except adapter._engine.error as error:
            refused.append(str(error))
print(json.dumps(refused))
"""


@pytest.mark.parametrize(
    "setup",
    [
        "RULES = [rule('R', 'allergies contains_any bad', bad=('cobalt', 'b12', 'latex'))]",
        "from doseguard.engine.compiled import compile_rules\nfrom doseguard.rules.loader import load_rules\n"
        "BUNDLED = load_rules()\nRULES = compile_rules(BUNDLED).of(BUNDLED.rules)",
    ],
    ids=["contains_any", "bundled_packs"],
)
def test_rulesets_survive_a_heap_of_stale_type_bytes(setup: str) -> None:
    """Error 102 at start (issue 8, case 25): an ``$or`` directly under ``$iany`` makes the engine read
    a node's right-operand type that it never initialised (``createForwardAlpha`` in rete.c); when the
    heap happens to hold 0x09 or 0x0C there, ``create_ruleset`` fails with ERR_UNEXPECTED_TYPE. Neither
    ``contains_any`` nor the bundled packs may compile to that shape."""
    result = run_isolated(STALE_HEAP.format(setup=setup))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_an_or_directly_under_an_array_operator_is_never_sent() -> None:
    """The adapter refuses the shape that reads uninitialised memory, whoever compiled it."""
    hazardous = {"$iany": {"allergies": {"$or": [{"$i": "cobalt"}, {"$i": "b12"}]}}}
    with pytest.raises(EngineError, match=r"\$or directly under \$iany"):
        DurableEngine([StubRule("R", hazardous)])
