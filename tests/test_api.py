"""``doseguard.check``, the Python API for jobs: orders from a file or as mappings, read as
``doseguard check`` reads them (its results are the command's), one result per order in order, the
rules loaded once per (rules, overrides); and the README's example, run as written."""

from __future__ import annotations

import datetime
import gzip
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import doseguard
from doseguard import jobs
from doseguard.errors import InputError, RulePackError
from doseguard.records import InputRecord
from doseguard.results import OrderResult, ResultStatus
from tests.helpers.cli import invoke, jsonl
from tests.helpers.cli import results as cli_results
from tests.helpers.orders import INFO, PASSING, WARNING, order

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
README = ROOT / "README.md"


def outcome(result: OrderResult) -> tuple[Any, ...]:
    """What a result says of its order (not where it was read)."""
    return (
        result.order_id,
        result.status,
        [finding.rule_id for finding in result.findings],
        [error.message for error in result.errors],
        result.rules_version,
    )


def cli_outcomes(*args: str | Path) -> list[tuple[Any, ...]]:
    done = invoke("check", *args, "--format", "jsonl", "--fail-on", "never")
    assert done.exit_code == 0, done.stderr
    return [
        (r["order_id"], r["status"], [f["rule_id"] for f in r["findings"]], [e["message"] for e in r["errors"]],
         r["rules_version"])
        for r in cli_results(done.stdout)
    ]  # fmt: skip


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, Any]]]:
    """Each rule loading ``doseguard.check`` does, from an empty cache."""
    seen: list[tuple[Any, Any]] = []
    real: Callable[..., Any] = jobs.load_rules

    def counting(paths: Any = None, *, overrides: Any = None) -> Any:
        seen.append((paths, overrides))
        return real(paths, overrides=overrides)

    monkeypatch.setattr(jobs, "load_rules", counting)
    jobs.clear_cache()
    yield seen
    jobs.clear_cache()


def test_mappings_get_one_result_each_in_order() -> None:
    orders = [PASSING, WARNING, INFO, order("BAD", dose="lots")]
    results = doseguard.check(orders)
    assert [(r.record, r.order_id, r.status) for r in results] == [
        (1, "PASS", ResultStatus.PASS),
        (2, "WARN", ResultStatus.FLAGGED),
        (3, "INFO", ResultStatus.FLAGGED),
        (4, "BAD", ResultStatus.INVALID),
    ]
    assert [r.source for r in results] == ["orders[0]", "orders[1]", "orders[2]", "orders[3]"]
    assert [f.rule_id for f in results[1].findings] == ["B12-ROUTE"]


def test_mappings_are_read_as_the_json_lines_format_reads_them(tmp_path: Path) -> None:
    """The same orders, as mappings and as a .jsonl file given to ``doseguard check``: the same results,
    also for a misspelt field, a FHIR resource, and an order id given twice."""
    fhir = json.loads(
        (EXAMPLES / "fhir-medicationrequests.ndjson").read_text(encoding="utf-8").splitlines()[0]
    )
    orders = [PASSING, WARNING, order("TYPO", Route="IM"), fhir, order("PASS"), {"drug": "cyanocobalamin"}]
    assert [outcome(r) for r in doseguard.check(orders)] == cli_outcomes(jsonl(tmp_path, *orders))


@pytest.mark.parametrize(
    "name", ["orders.jsonl", "orders.csv", "fhir-bundle.json", "fhir-medicationrequests.ndjson"]
)
def test_a_file_of_any_format_the_command_takes_gets_the_commands_results(name: str) -> None:
    path = EXAMPLES / name
    assert [outcome(r) for r in doseguard.check(path)] == cli_outcomes(path)
    assert [outcome(r) for r in doseguard.check(str(path))] == cli_outcomes(path)


def test_a_gzipped_file_is_read_too(tmp_path: Path) -> None:
    packed = tmp_path / "orders.jsonl.gz"
    packed.write_bytes(gzip.compress((EXAMPLES / "orders.jsonl").read_bytes()))
    assert [outcome(r) for r in doseguard.check(packed)] == cli_outcomes(EXAMPLES / "orders.jsonl")


def test_input_records_are_checked_as_given() -> None:
    records = [InputRecord("job:1", PASSING), InputRecord("job:2", error="the export row was cut short")]
    results = doseguard.check(records)
    assert [(r.source, r.status) for r in results] == [("job:1", "pass"), ("job:2", "invalid")]
    assert results[1].errors[0].message == "the export row was cut short"


@pytest.mark.parametrize(
    ("item", "said"),
    [
        ("ORD-1", "expected an order (a mapping), got a string"),
        ([PASSING], "expected an order (a mapping), got an array"),
        (None, "expected an order (a mapping), got null"),
        (order("NAN", administrations_given=float("nan")), "the order is not JSON data"),
        (order("WHEN", ordered_at=datetime.datetime(2026, 1, 1)), "the order is not JSON data"),
    ],
)
def test_what_is_not_an_order_is_an_invalid_result_in_its_place(item: Any, said: str) -> None:
    results = doseguard.check([PASSING, item, WARNING])
    assert [r.status for r in results] == ["pass", "invalid", "flagged"]
    assert said in results[1].errors[0].message


def test_one_order_not_in_a_list_is_refused_rather_than_its_keys_checked() -> None:
    with pytest.raises(TypeError, match="not one order by itself"):
        doseguard.check(PASSING)  # type: ignore[arg-type]


def test_the_rules_are_loaded_once_for_a_job_calling_check_in_a_loop(loads: list[tuple[Any, Any]]) -> None:
    for _ in range(3):
        doseguard.check([PASSING])
    assert loads == [(None, None)]
    doseguard.check([PASSING], rules=ROOT / "rules")
    doseguard.check([PASSING], rules=[str(ROOT / "rules")])  # the same folder, written another way
    assert len(loads) == 2
    doseguard.check([PASSING], rules=ROOT / "rules", overrides=EXAMPLES / "site-overrides.yaml")
    assert len(loads) == 3


def test_clearing_the_cache_reads_the_rule_files_again(loads: list[tuple[Any, Any]]) -> None:
    doseguard.check([PASSING])
    jobs.clear_cache()
    doseguard.check([PASSING])
    assert len(loads) == 2


def test_overrides_change_what_the_rules_say() -> None:
    """The site's overrides make error-prone notation (``qd``) a warning (examples/site-overrides.yaml)."""
    error_prone = order("QD", frequency="qd")
    plain = doseguard.check([error_prone])[0]
    overridden = doseguard.check([error_prone], overrides=EXAMPLES / "site-overrides.yaml")[0]
    assert [(f.rule_id, f.severity) for f in plain.findings] == [("NOTATION-ERROR-PRONE", "info")]
    assert [(f.rule_id, f.severity) for f in overridden.findings] == [("NOTATION-ERROR-PRONE", "warning")]
    assert overridden.rules_version != plain.rules_version


def test_rules_that_do_not_load_raise_the_rule_pack_error(tmp_path: Path) -> None:
    pack = tmp_path / "broken"
    shutil.copytree(ROOT / "rules" / "b12", pack)
    rule_file = next(pack.glob("*.yaml"))
    rule_file.write_text(rule_file.read_text(encoding="utf-8") + "\n  - nonsense: [\n", encoding="utf-8")
    with pytest.raises(RulePackError) as refused:
        doseguard.check([PASSING], rules=pack)
    assert refused.value.problems


def test_a_file_that_cannot_be_opened_raises_the_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as refused:
        doseguard.check(tmp_path / "missing.jsonl")
    assert refused.value.path.endswith("missing.jsonl")


def test_the_readmes_python_api_example_runs_as_written() -> None:
    """The README's "Python API" example, run in a fresh interpreter from the repository's root, prints
    what the README says it prints."""
    text = README.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- python-api-example -->\n```python\n(.*?)```\n\nIt prints:\n\n```text\n(.*?)```",
        text,
        re.DOTALL,
    )
    assert match, "the README's Python API section has its example and what it prints"
    code, printed = match.groups()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == printed
