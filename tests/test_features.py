"""Every scenario of the bundled packs as a test (each pack's own ``rules/<pack>/features/**/*.feature``),
and two checks on the feature files themselves.

The features folders are found as ``doseguard rules test`` finds them; feature files may sit in
sub-folders there: both checks search them recursively, as pytest-bdd does."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from pytest_bdd import scenarios

from doseguard.rules.files import feature_folders, pack_folders
from doseguard.rules.model import RuleSet

RULES = Path(__file__).resolve().parent.parent / "rules"
FEATURES = [Path(folder) for folder in feature_folders(pack_folders([RULES]))]

# Absolute paths: pytest-bdd takes them as they are, whatever bdd_features_base_dir says.
scenarios(*map(str, FEATURES))


def _lines() -> dict[Path, list[str]]:
    """Each feature file's lines, stripped, without comments."""
    lines = {}
    for path in sorted(path for folder in FEATURES for path in folder.rglob("*.feature")):
        stripped = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
        lines[path] = [line for line in stripped if not line.startswith("#")]
    return lines


def test_every_rule_has_a_tagged_scenario_that_fires_it_and_a_near_miss(doseguard_rules: RuleSet) -> None:
    text = "\n".join(line for lines in _lines().values() for line in lines)
    missing = []
    for rule in doseguard_rules.rules:
        rule_id = re.escape(rule.id) + r"(?![\w-])"
        for what, pattern in (
            ("tag", rf"@{rule_id}"),
            ("scenario that fires it", rf"\bis flagged {rule_id}"),
            ("near miss", rf"\bis not flagged {rule_id}"),
        ):
            if re.search(pattern, text) is None:
                missing.append(f"{rule.id} has no {what}")
    assert not missing, "\n".join(missing)


def test_scenario_names_are_unique_within_a_feature() -> None:
    """pytest-bdd keeps only the last of two scenarios with the same name, silently."""
    pattern = re.compile(r"^Scenario(?: Outline| Template)?:(.*)$")
    repeated = []
    for path, lines in _lines().items():
        names = Counter(match.group(1).strip() for line in lines if (match := pattern.match(line)))
        where = path.relative_to(RULES).as_posix()
        repeated += [f"{where}: {name!r} ({count} times)" for name, count in names.items() if count > 1]
    assert not repeated, "\n".join(repeated)
