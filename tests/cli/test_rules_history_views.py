"""``rules vocabulary`` and ``rules explain`` of a pack with a history: block: the aggregates a rule
reads, where they come from, and what the rule says when it cannot be decided."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from doseguard.rules.schema import rule_pack_schema
from tests.helpers.cli import invoke
from tests.helpers.rule_files import VALID_RULE, write_pack
from tests.rules.test_history_loader import PACK, RULES, pack


def test_vocabulary_lists_the_loaded_packs_aggregates_after_the_fields(tmp_path: Path) -> None:
    folder = pack(tmp_path / "b12")
    done = invoke("rules", "vocabulary", "--rules", folder)
    assert done.exit_code == 0, done.stderr
    text = done.stdout
    assert text.index("Fields of the order") < text.index("History aggregates") < text.index("Operators")
    lines = text.splitlines()
    assert any(
        re.fullmatch(r"  haemoglobin_latest +number +g/dL +b12 +The response to treatment\. The latest "
                     r"haemoglobin \(g/dL\) in the 30 days before the order \(pack b12\)\.", line)
        for line in lines
    ), text  # fmt: skip
    assert any(
        re.fullmatch(r"  doses_given +number +count +b12 +Number of given doses .*", line) for line in lines
    )


def test_vocabulary_json_has_the_aggregates_and_marks_what_fields_need(tmp_path: Path) -> None:
    done = invoke("rules", "vocabulary", "--format", "json", "--rules", pack(tmp_path / "b12"))
    data = json.loads(done.stdout)
    hb = next(a for a in data["aggregates"] if a["name"] == "haemoglobin_latest")
    assert hb == {
        "name": "haemoglobin_latest", "type": "number", "unit": "g/dL", "pack": "b12",
        "label": "latest haemoglobin", "needs": "labs",
        "definition": "The latest haemoglobin (g/dL) in the 30 days before the order (pack b12).",
        "description": "The response to treatment.",
    }  # fmt: skip
    assert {f["name"]: f["needs"] for f in data["fields"]}["dose_mcg"] is None
    assert all("needs" in f for f in data["fields"])


def test_vocabulary_without_history_says_none_is_declared(tmp_path: Path) -> None:
    write_pack(tmp_path / "plain", VALID_RULE)
    done = invoke("rules", "vocabulary", "--rules", tmp_path / "plain")
    assert done.exit_code == 0
    assert "History aggregates of the loaded packs" in done.stdout
    assert "  (none: no loaded pack declares history:)" in done.stdout
    assert (
        json.loads(invoke("rules", "vocabulary", "--format", "json", "--rules", tmp_path / "plain").stdout)[
            "aggregates"
        ]
        == []
    )


def test_vocabulary_of_packs_that_do_not_load_exits_2(tmp_path: Path) -> None:
    folder = pack(tmp_path / "b12")
    (folder / "pack.yaml").write_text((folder / "pack.yaml").read_text().replace("Hgb", "Hgx"))
    done = invoke("rules", "vocabulary", "--rules", folder)
    assert done.exit_code == 2
    assert "unknown lab test 'Hgx'" in done.stderr


def test_explain_shows_the_aggregates_a_rule_reads_and_its_not_evaluated_finding(tmp_path: Path) -> None:
    folder = pack(tmp_path / "b12")
    text = invoke("rules", "explain", "B12-HB-LOW", "--rules", folder).stdout
    read = text.split("History aggregates read\n", 1)[1].split("\n\n", 1)[0]
    assert read.startswith("  doses_given (count): Number of given doses of cyanocobalamin in the 90 days")
    assert "  haemoglobin_latest (g/dL): The response to treatment. The latest haemoglobin" in read
    unevaluated = text.split("When it cannot be decided (data it reads is absent)\n", 1)[1]
    assert unevaluated.startswith("  severity: warning (the pack's unevaluated_severity)\n")
    assert "no haemoglobin result in the 30 days before the order" in " ".join(unevaluated.split())

    own = invoke("rules", "explain", "B12-HB-LOW-SAYS", "--rules", folder).stdout
    assert "severity: critical (the rule's unevaluated:)" in own
    assert "message: No recent haemoglobin; check one before the next dose. (the rule's)" in own


def test_explain_of_a_rule_reading_only_the_order_has_no_not_evaluated_section() -> None:
    text = invoke("rules", "explain", "B12-ROUTE").stdout
    assert "History aggregates read" not in text
    assert "When it cannot be decided" not in text


def test_the_schema_takes_a_history_block_and_refuses_two_kind_keys() -> None:
    validator = jsonschema.Draft202012Validator(rule_pack_schema())
    declared = yaml.safe_load(PACK)
    assert list(validator.iter_errors(declared)) == []
    declared["history"]["both"] = {"latest": "potassium", "count": "orders"}
    assert list(validator.iter_errors(declared)) != []
    del declared["history"]["both"]
    declared["history"]["Bad-Name"] = {"latest": "potassium"}
    assert list(validator.iter_errors(declared)) != []
    rule = yaml.safe_load(RULES)
    assert list(validator.iter_errors(rule)) == []
