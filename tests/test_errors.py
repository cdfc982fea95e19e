"""One error hierarchy: every public error is a DoseguardError defined in doseguard.errors, carrying data."""

from __future__ import annotations

import ast
import inspect
import json
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import doseguard
from doseguard import errors
from doseguard.engine.adapter import encode_fact, ruleset_json
from doseguard.errors import DoseguardError, EngineError, ProblemKind, RuleProblem, SourceLocation
from doseguard.suggestions import closest, did_you_mean

PACKAGE = Path(doseguard.__file__).parent
LEFT_ELSEWHERE = {
    "io/fhir.py",  # FhirMappingError moves with the FHIR package split (another part of the refactor)
}


def test_no_module_but_errors_defines_a_public_error_class() -> None:
    found = []
    for path in PACKAGE.rglob("*.py"):
        relative = str(path.relative_to(PACKAGE))
        if relative == "errors.py" or relative in LEFT_ELSEWHERE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                bases = [ast.unparse(base) for base in node.bases]  # an exception derives from one
                if any(base.endswith(("Error", "Exception", "Problem")) for base in bases):
                    found.append(f"{relative}:{node.name}")
    # Not errors: pool.WorkerLost is the pool's own signal about a worker, caught where it is raised;
    # signals.Stopped is a signal received (a BaseException, as KeyboardInterrupt is)
    assert sorted(name.split(":")[1] for name in found) == ["Stopped", "WorkerLost"], found


def test_every_error_class_of_errors_is_a_doseguard_error() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, BaseException)]
    assert len(classes) >= 15
    assert all(issubclass(c, DoseguardError) for c in classes)


def test_the_kind_of_a_problem_is_an_enum_that_reads_as_before() -> None:
    problem = RuleProblem(SourceLocation("r.yaml", 3, 5), "bad", kind=ProblemKind.ENGINE_LIMIT)
    assert problem.kind == "engine-limit"
    assert json.dumps(problem.as_dict()) == json.dumps(
        {"file": "r.yaml", "line": 3, "column": 5, "kind": "engine-limit", "rule_id": None, "message": "bad"}
    )
    assert f"{ProblemKind.NO_SCENARIOS}" == "no-scenarios"


def test_a_problem_keeps_its_suggestion_as_data_without_changing_its_text_or_equality() -> None:
    where = SourceLocation("r.yaml", 1, 1)
    with_it = RuleProblem(where, "unknown key 'titel'; did you mean 'title'?", suggestion="title")
    assert with_it.suggestion == "title"
    assert with_it == RuleProblem(where, "unknown key 'titel'; did you mean 'title'?")
    assert str(with_it) == "r.yaml:1:1: unknown key 'titel'; did you mean 'title'?"


def test_the_one_suggestion_helper() -> None:
    assert closest("dose_mgc", ["dose_mcg", "volume_ml"]) == "dose_mcg"
    assert closest("nothing-like-it", ["dose_mcg"]) is None
    assert closest("ROUTE", ["route"]) is None
    assert closest("ROUTE", ["route"], any_case=True) == "route"
    assert closest("cyanocobalamn", ["cyanocobalamin"], cutoff=0.92) == "cyanocobalamin"
    assert did_you_mean("title") == "; did you mean 'title'?"
    assert did_you_mean(None) == ""


def test_engine_errors_name_the_fact_field_they_refused() -> None:
    with pytest.raises(EngineError) as caught:
        encode_fact({"dose_mcg": "lots"})
    assert caught.value.fact_field == "dose_mcg"
    assert str(caught.value) == "fact field 'dose_mcg' must be a number, got 'lots'"
    with pytest.raises(EngineError) as unknown:
        encode_fact({"no_such_field": 1})
    assert unknown.value.fact_field == "no_such_field"


@dataclass(frozen=True)
class _Rule:
    id: str
    compiled: dict[str, Any] | bool
    branches: int = 1


def test_engine_errors_name_the_rule_whose_condition_they_refused() -> None:
    shape = {"$iany": {"allergies": {"$or": [{"$eq": {"m": "a"}}, {"$eq": {"m": "b"}}]}}}
    with pytest.raises(EngineError) as caught:
        ruleset_json([_Rule("R-OR", shape)])
    assert caught.value.rule_id == "R-OR"


def test_an_engine_error_crosses_processes_with_its_data() -> None:
    error = EngineError("the engine failed", rule_id="R", fact_field="dose_mcg", code=201)
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.rule_id, again.fact_field, again.code) == (
        "the engine failed",
        "R",
        "dose_mcg",
        201,
    )
