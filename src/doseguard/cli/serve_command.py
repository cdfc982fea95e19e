"""``doseguard serve``: the CDS Hooks service on uvicorn (docs/service.md).

Settings come from ``--config serve.yaml`` with the flags over it. It refuses to start (exit 2) with
rules that do not load, a config with mistakes, ``--insecure-dev`` on a host other than loopback, or
no way to check tokens without ``--insecure-dev``."""

from __future__ import annotations

import asyncio
import importlib
import ipaddress
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import uvicorn

from doseguard.cli.common import EXIT_USAGE, exit_status_epilog, load_or_exit, rule_source_options, say
from doseguard.errors import FeedbackStoreError, InputError, ServiceConfigError
from doseguard.feedback.store import FeedbackStore
from doseguard.rules.source import RuleSource
from doseguard.service.app import create_app, rules_loader
from doseguard.service.auth import InsecureDevVerifier, JwtVerifier
from doseguard.service.config import ServiceSettings, load_settings
from doseguard.service.operations import configure_json_logging, install_sighup_reload
from doseguard.service.ports import Verifier
from doseguard.service.rulebook import RuleBook
from doseguard.service.workers import ProcessEvaluator

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
    try:
        sink = feedback_sink(settings)
        check_tokens = verifier(settings)
    except (FeedbackStoreError, InputError) as error:
        say(f"doseguard serve: {error}; the service did not start")
        sys.exit(EXIT_USAGE)
    evaluator = ProcessEvaluator(rules, workers=settings.workers)
    configure_json_logging(logging.INFO, lambda: evaluator.rules_version)
    if settings.insecure_dev:
        log.warning(INSECURE)
    log.info("rules %s; %d evaluation worker processes", evaluator.rules_version, settings.workers)
    app = create_app(
        settings, evaluator=evaluator, feedback=sink, verifier=check_tokens, rules=RuleBook(load)
    )
    loop_factory = event_loop_factory()
    log.info("event loop: %s", "asyncio" if loop_factory is None else loop_factory.__module__)
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(_serve(app, settings, evaluator))
    finally:
        if sink is not None:
            sink.close()


async def _serve(app: Any, settings: ServiceSettings, evaluator: ProcessEvaluator) -> None:
    """uvicorn until SIGTERM or SIGINT (its graceful shutdown: requests in flight are answered), rules
    reloaded on SIGHUP, then the workers stopped after what they hold."""
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_config=None, proxy_headers=False, access_log=False
    )
    server = uvicorn.Server(config)
    install_sighup_reload(evaluator, asyncio.get_running_loop())
    try:
        await server.serve()
    finally:
        await evaluator.close()


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is installed (the ``service`` extra: it cut the web process's CPU a
    request), else None: asyncio's own. uvicorn's ``loop="uvloop"`` does the same, but ``serve`` runs
    uvicorn inside its own loop (for SIGHUP and the evaluator's shutdown), so it chooses the loop here."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def start_refusal(settings: ServiceSettings) -> str | None:
    """Why the service must not start with these settings (None: it may)."""
    if settings.insecure_dev and not is_loopback(settings.host):
        return f"--insecure-dev listens on loopback only (127.0.0.1, ::1, localhost), not {settings.host!r}"
    if settings.auth is None and not settings.insecure_dev:
        return (
            "no token verifier is configured (auth: in serve.yaml), so every call would be refused; "
            "for development on this machine only, use --insecure-dev"
        )
    return None


def verifier(settings: ServiceSettings) -> Verifier | None:
    """The bearer token check of ``settings.auth`` (None without one: only --insecure-dev starts)."""
    if settings.auth is None:
        return InsecureDevVerifier() if settings.insecure_dev else None
    return JwtVerifier(settings.auth)


def feedback_sink(settings: ServiceSettings) -> FeedbackStore | None:
    """The feedback store at ``settings.db``, migrated to the latest schema."""
    return FeedbackStore.open(settings.db) if settings.db is not None else None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
