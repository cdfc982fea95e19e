"""``doseguard serve``: the CDS Hooks service on uvicorn (docs/service.md).

Settings come from ``--config serve.yaml`` with the flags over it. It refuses to start (exit 2) with
rules that do not load, a config with mistakes, ``--insecure-dev`` on a host other than loopback, or
no way to check tokens without ``--insecure-dev``."""

from __future__ import annotations

import ipaddress
import logging
import sys
from pathlib import Path

import click
import uvicorn

from doseguard.cli.common import EXIT_USAGE, exit_status_epilog, load_or_exit, rule_source_options, say
from doseguard.errors import ServiceConfigError
from doseguard.rules.source import RuleSource
from doseguard.service.app import create_app, rules_loader
from doseguard.service.config import ServiceSettings, load_settings
from doseguard.service.inprocess import InProcessEvaluator
from doseguard.service.ports import FeedbackSink, Verifier
from doseguard.service.rulebook import RuleBook

log = logging.getLogger("doseguard.serve")

INSECURE = (
    "INSECURE DEVELOPMENT MODE: bearer tokens are NOT checked; any caller on this machine is trusted. "
    "Never use --insecure-dev with patient data."
)


@click.command(
    "serve",
    epilog=exit_status_epilog(
        "stopped",
        None,
        "a usage error, a config file with mistakes, rules that do not load, no token verifier",
    ),
)
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default 8080).")
@rule_source_options(selection=False)
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="serve.yaml: the settings, the flags over them.")  # fmt: skip
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Evaluation worker processes.")
@click.option(
    "--db",
    default=None,
    metavar="URL",
    help="Feedback database, SQLAlchemy URL (default: SQLite beside the config).",
)
@click.option(
    "--public-base-url", default=None, metavar="URL", help="The URL the EHR calls (default http://host:port)."
)
@click.option(
    "--insecure-dev", is_flag=True, default=None, help="Development on loopback only: no token checks."
)
def serve(
    source: RuleSource,
    host: str | None,
    port: int | None,
    config: Path | None,
    workers: int | None,
    db: str | None,
    public_base_url: str | None,
    insecure_dev: bool | None,
) -> None:
    """Run the HL7 CDS Hooks service (order-select, order-sign, feedback)."""
    flags = {
        "host": host, "port": port, "rules": source.paths, "overrides": source.overrides, "workers": workers,
        "db": db, "public_base_url": public_base_url, "insecure_dev": insecure_dev or None,
    }  # fmt: skip
    try:
        settings = load_settings(config, flags)
    except ServiceConfigError as error:
        for problem in error.problems:
            say(problem)
        sys.exit(EXIT_USAGE)
    refusal = start_refusal(settings)
    if refusal is not None:
        say(f"doseguard serve: {refusal}")
        sys.exit(EXIT_USAGE)
    rules = RuleSource(settings.rules, settings.overrides)
    load_or_exit(rules, "; the service did not start")
    load = rules_loader(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings.insecure_dev:
        log.warning(INSECURE)
    evaluator = InProcessEvaluator(load)
    log.info("rules %s; evaluation in this process (worker processes: not yet)", evaluator.rules_version)
    app = create_app(
        settings,
        evaluator=evaluator,
        feedback=feedback_sink(settings),
        verifier=verifier(settings),
        rules=RuleBook(load),
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", proxy_headers=False)


def start_refusal(settings: ServiceSettings) -> str | None:
    """Why the service must not start with these settings (None: it may)."""
    if settings.insecure_dev and not is_loopback(settings.host):
        return f"--insecure-dev listens on loopback only (127.0.0.1, ::1, localhost), not {settings.host!r}"
    if verifier(settings) is None and not settings.insecure_dev:
        return (
            "no token verifier is configured (auth: in serve.yaml), so every call would be refused; "
            "for development on this machine only, use --insecure-dev"
        )
    return None


def verifier(settings: ServiceSettings) -> Verifier | None:
    """The bearer token check of ``settings.auth``. None in this build: the JWT verifier (issuers,
    JWKS, audience) is wired here when it is merged, and until then only --insecure-dev starts."""
    return None


def feedback_sink(settings: ServiceSettings) -> FeedbackSink | None:
    """The feedback store at ``settings.db``. None in this build (the feedback endpoint answers 503)
    until the SQLAlchemy store is merged and wired here."""
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
