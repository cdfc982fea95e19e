"""``doseguard feedback report``: the table, JSON and CSV of a small store, the output file, the default
database, and what stops it (exit 2, said in one line): a bad date, a database that is not there or
cannot be reached (its password hidden)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from doseguard.feedback.store import FeedbackStore, default_url
from tests.helpers.cli import doseguard, invoke
from tests.helpers.feedback import SERVICE, accepted, card, overridden

NOV_2 = datetime(2026, 11, 2, 9, tzinfo=UTC)
DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
PERIOD = ("--since", "2026-11-01", "--until", "2026-12-01")


def _fill(url: str) -> None:
    """RULE-A: 3 cards, 1 accepted, 2 overridden (a reason with a display that starts a formula, and
    none); RULE-B: 1 card, no feedback; an unknown card accepted; a card and feedback of December."""
    with FeedbackStore.open(url) as store:
        store.record_cards([card(f"a{n}", "RULE-A", at=NOV_2) for n in (1, 2, 3)])
        store.record_cards([card("b1", "RULE-B", at=NOV_2), card("d1", "RULE-A", at=DEC_1)])
        store.record_feedback(
            SERVICE,
            [
                accepted("a1", at=NOV_2),
                overridden("a2", "patient-aware", "=Patient aware", at=NOV_2),
                overridden("a3", None, at=NOV_2),
                accepted("zz", at=NOV_2),
                overridden("d1", "other", at=DEC_1),
            ],
        )


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    _fill(url)
    return url


def test_the_table(db: str) -> None:
    done = invoke("feedback", "report", "--db", db, *PERIOD)

    assert done.exit_code == 0, done.stderr
    assert done.stdout == (
        "Overrides from 2026-11-01T00:00:00+00:00 to 2026-12-01T00:00:00+00:00 (excluded), all services\n"
        "\n"
        "RULE            CARDS  FEEDBACK  ACCEPTED  OVERRIDDEN  OVERRIDE RATE\n"
        "RULE-A          3      3         1         2           66.7%\n"
        "RULE-B          1      0         0         0           -\n"
        "(unknown card)  -      1         1         0           0.0%\n"
        "\n"
        "RULE    REASON             COUNT  SHARE  DISPLAY\n"
        "RULE-A  patient-aware      1      50.0%  =Patient aware\n"
        "RULE-A  (no reason given)  1      50.0%\n"
    )


def test_json(db: str) -> None:
    done = invoke("feedback", "report", "--db", db, *PERIOD, "--service", SERVICE, "--format", "json")

    assert done.exit_code == 0, done.stderr
    system = "https://doseguard.example/override-reasons"
    assert json.loads(done.stdout) == {
        "since": "2026-11-01T00:00:00+00:00",
        "until": "2026-12-01T00:00:00+00:00",
        "until_excluded": True,
        "service_id": SERVICE,
        "rules": [
            {
                "rule_id": "RULE-A",
                "cards_issued": 3,
                "feedback": 3,
                "accepted": 1,
                "overridden": 2,
                "override_rate": 2 / 3,
                "reasons": [
                    {
                        "code": "patient-aware",
                        "system": system,
                        "display": "=Patient aware",
                        "count": 1,
                        "share": 0.5,
                    },
                    {"code": None, "system": None, "display": None, "count": 1, "share": 0.5},
                ],
            },
            {
                "rule_id": "RULE-B",
                "cards_issued": 1,
                "feedback": 0,
                "accepted": 0,
                "overridden": 0,
                "override_rate": None,
                "reasons": [],
            },
        ],
        "unknown_card": {"feedback": 1, "accepted": 1, "overridden": 0, "override_rate": 0.0, "reasons": []},
    }


def test_csv_defuses_formulas(db: str) -> None:
    done = invoke("feedback", "report", "--db", db, *PERIOD, "--format", "csv")

    assert done.exit_code == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows == [
        [
            "row",
            "rule_id",
            "cards_issued",
            "feedback",
            "accepted",
            "overridden",
            "override_rate",
            "reason_code",
            "reason_system",
            "reason_display",
            "reason_count",
            "reason_share",
        ],
        ["rule", "RULE-A", "3", "3", "1", "2", "0.6667"],
        [
            "reason",
            "RULE-A",
            "",
            "",
            "",
            "",
            "",
            "patient-aware",
            "https://doseguard.example/override-reasons",
            "'=Patient aware",
            "1",
            "0.5000",
        ],
        ["reason", "RULE-A", "", "", "", "", "", "", "", "", "1", "0.5000"],
        ["rule", "RULE-B", "1", "0", "0", "0", ""],
        ["rule", "(unknown card)", "", "1", "1", "0", "0.0000"],
    ]


def test_without_bounds_everything_counts(db: str) -> None:
    done = invoke("feedback", "report", "--db", db, "--format", "json")

    rule_a = json.loads(done.stdout)["rules"][0]
    assert (rule_a["cards_issued"], rule_a["overridden"]) == (4, 3)


def test_a_time_without_an_offset_is_utc(db: str) -> None:
    done = invoke("feedback", "report", "--db", db, "--since", "2026-11-02T09:00:00", "--format", "json")
    later = invoke("feedback", "report", "--db", db, "--since", "2026-11-02T09:00:01Z", "--format", "json")

    assert json.loads(done.stdout)["since"] == "2026-11-02T09:00:00+00:00"
    assert json.loads(done.stdout)["rules"][0]["feedback"] == 4
    assert json.loads(later.stdout)["rules"][0]["feedback"] == 1  # December's only


def test_the_report_to_a_file(db: str, tmp_path: Path) -> None:
    target = tmp_path / "overrides.csv"
    done = invoke("feedback", "report", "--db", db, *PERIOD, "--format", "csv", "-o", target)

    assert done.exit_code == 0, done.stderr
    assert done.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("row,rule_id,")


def test_the_default_database_is_the_services_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(default_url(tmp_path))
    monkeypatch.chdir(tmp_path)

    done = invoke("feedback", "report", *PERIOD, "--format", "json")

    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["rules"][0]["rule_id"] == "RULE-A"


# --- what stops it (through the script: main() maps errors to exit statuses) -------------------------


def test_a_bad_date_exits_2_and_says_so(db: str) -> None:
    done = doseguard("feedback", "report", "--db", db, "--since", "1 November")

    assert done.returncode == 2
    assert "Invalid value for '--since': '1 November' is not an ISO 8601 date or time" in done.stderr
    assert "Traceback" not in done.stderr


def test_since_after_until_exits_2(db: str) -> None:
    done = doseguard("feedback", "report", "--db", db, "--since", "2026-12-01", "--until", "2026-11-01")

    assert done.returncode == 2
    assert (
        "--since (2026-12-01T00:00:00+00:00) must be before --until (2026-11-01T00:00:00+00:00)"
        in done.stderr
    )


def test_an_unreachable_database_exits_2_with_its_password_hidden(tmp_path: Path) -> None:
    done = doseguard("feedback", "report", "--db", "postgresql://report:hunter2@127.0.0.1:1/feedback")

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(
        "doseguard: feedback database postgresql+psycopg://report:***@127.0.0.1:1/feedback: "
    )
    assert "Connection refused" in done.stderr
    assert "hunter2" not in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_missing_sqlite_file_exits_2_and_is_not_made(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.sqlite3"
    done = doseguard("feedback", "report", "--db", f"sqlite:///{path}")

    assert done.returncode == 2
    assert "no such file (the service makes it when it starts)" in done.stderr
    assert not path.exists()


def test_an_output_that_cannot_be_written_exits_2_and_the_database_is_untouched(
    db: str, tmp_path: Path
) -> None:
    done = doseguard("feedback", "report", "--db", db, "-o", tmp_path / "no-such-folder" / "report.txt")

    assert done.returncode == 2
    assert "no-such-folder/report.txt" in done.stderr
