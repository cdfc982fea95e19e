"""Two processes on one SQLite file at once (the service's workers, a report run): both migrate the new
file, both write, and nothing is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from doseguard.feedback.store import FeedbackStore
from doseguard.feedback.tables import feedback, issued_cards
from tests.helpers.feedback import stored

WRITER = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from doseguard.feedback.model import FeedbackItem, IssuedCard, Outcome
from doseguard.feedback.store import FeedbackStore

url, name, count, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
while not go.exists():  # start together
    time.sleep(0.001)
store = FeedbackStore.open(url)  # both migrate the new file at once
for n in range(count):  # one transaction per call, interleaved with the other process's
    uuid = f"{name}-{n}"
    now = datetime.now(UTC)
    store.record_cards([IssuedCard(uuid, "svc", "RULE", "warning", "v1", now)])
    store.record_feedback("svc", [FeedbackItem(uuid, Outcome.OVERRIDDEN, now, override_code="x")])
store.close()
"""

PER_PROCESS = 200


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, name, str(PER_PROCESS), str(go)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("first", "second")
    ]
    go.touch()
    errors = [writer.communicate(timeout=300)[1] for writer in writers]

    assert [writer.returncode for writer in writers] == [0, 0], errors
    with FeedbackStore.open(url, read_only=True) as store:
        cards = {row["uuid"] for row in stored(store, issued_cards)}
        feedback_cards = [row["card_uuid"] for row in stored(store, feedback)]
    expected = {f"{name}-{n}" for name in ("first", "second") for n in range(PER_PROCESS)}
    assert cards == expected
    assert sorted(feedback_cards) == sorted(expected)
