"""``doseguard feedback report``: override rates per rule and per override reason, read from the
feedback store the service writes (the same default database as ``doseguard serve``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click

from doseguard.cli.common import exit_status_epilog
from doseguard.cli.feedback_views import REPORT_FORMATS, report_text
from doseguard.feedback.report import override_report
from doseguard.feedback.store import DEFAULT_FILE, FeedbackStore, default_url
from doseguard.io.outputs import STDOUT, Outputs


def moment(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """An ISO 8601 date (its midnight, UTC) or time (UTC when it names no offset)."""
    if value is None:
        return None
    text = value.strip()
    try:
        if len(text) == 10:  # 2026-11-01
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 date or time (e.g. 2026-11-01, 2026-11-01T08:00:00+01:00)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@click.group()
def feedback() -> None:
    """What clinicians did with the service's cards: override rates per rule and reason."""


@feedback.command(
    epilog=exit_status_epilog(
        "the report was written",
        None,
        "a usage error (a date that is not ISO 8601, --since not before --until), a database that "
        "cannot be opened or read (said with its password hidden), an output that cannot be written",
    )
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="The feedback database, in SQLAlchemy's form (sqlite:///PATH, postgresql://user@host/db). "
    f"Default: the service's default, {DEFAULT_FILE} in the working folder.",
)
@click.option(
    "--since",
    metavar="DATE",
    callback=moment,
    help="From this date or time (included). Default: the first feedback.",
)
@click.option(
    "--until",
    metavar="DATE",
    callback=moment,
    help="To this date or time (excluded: --until 2026-12-01 ends November).",
)
@click.option("--service", "service_id", metavar="ID", help="Only this service (e.g. doseguard-order-sign).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="table",
    show_default=True,
    help="A table for people, JSON for programs, CSV for spreadsheets.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the report here instead of stdout (a file appears only when it is whole).",
)
def report(
    db_url: str | None,
    since: datetime | None,
    until: datetime | None,
    service_id: str | None,
    fmt: str,
    output: str | None,
) -> None:
    """Override rate per rule (overridden / (accepted + overridden)) and per override reason, over a
    period: feedback counts by when the clinician acted, cards by when they were issued."""
    if since is not None and until is not None and since >= until:
        raise click.UsageError(f"--since ({since.isoformat()}) must be before --until ({until.isoformat()})")
    url = db_url or default_url(Path.cwd())
    with FeedbackStore.open(url, read_only=True) as store:  # a FeedbackStoreError: said, exit 2 (main)
        text = report_text(override_report(store, since, until, service_id), fmt)
    with Outputs() as outputs:
        outputs.open(output or STDOUT, "report").write(text.encode("utf-8"))
        outputs.commit()
