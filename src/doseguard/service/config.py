"""The service's settings: ``serve.yaml`` (read safely, every mistake located ``file:line:col`` as a
rule file's are), with the command line's flags over it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from doseguard.errors import ProblemKind, RuleProblem, ServiceConfigError, SourceLocation
from doseguard.feedback.store import default_url
from doseguard.rules.yaml_source import load_yaml
from doseguard.service.auth import AuthSettings
from doseguard.suggestions import closest, did_you_mean

MIB = 1024 * 1024
COMMAND_LINE = "(command line)"
SQLITE = "sqlite:///"


class ServiceSettings(BaseModel):
    """What ``doseguard serve`` runs with. Paths are as given (a config file's relative paths are
    made relative to its folder when it is read)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8080, ge=0, le=65535, description="0: any free port")
    public_base_url: str | None = Field(
        default=None,
        description="The URL the EHR calls the service by (behind a proxy, its public address); "
        "default http://host:port. A token's aud must be this plus the path.",
    )
    rules: tuple[str, ...] = Field(default=(), description="Rule pack folders (default: the bundled)")
    overrides: str | None = None
    workers: int = Field(default=2, ge=1, le=64)
    max_request_bytes: int = Field(default=MIB, ge=1024, le=64 * MIB)
    fhir_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    db: str | None = Field(default=None, description="SQLAlchemy URL of the feedback database")
    insecure_dev: bool = False
    auth: AuthSettings | None = Field(
        default=None, description="The bearer token checks: trusted issuers and their keys"
    )

    @field_validator("public_base_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError("must be an absolute http(s) URL without query or fragment")
        return value.rstrip("/")

    @property
    def base_url(self) -> str:
        """The public base URL, without a trailing slash."""
        if self.public_base_url is not None:
            return self.public_base_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def load_settings(config: Path | None = None, flags: Mapping[str, Any] | None = None) -> ServiceSettings:
    """The settings of ``config`` (a ``serve.yaml``; None: defaults) with ``flags`` (those given, not
    None) over them; the feedback database defaults to SQLite in a file beside the config (or in the
    working folder). Raises :class:`ServiceConfigError` naming every mistake."""
    data: dict[str, Any] = {}
    document = None
    if config is not None:
        document, data = _read(config)
    given = {key: value for key, value in (flags or {}).items() if value is not None and value != ()}
    merged = {**data, **given}
    folder = config.parent if config is not None else Path.cwd()
    merged.setdefault("db", default_url(folder))
    try:
        settings = ServiceSettings.model_validate(merged)
        if settings.auth is not None:  # a relative jwks_file is the config file's neighbour
            settings = settings.model_copy(update={"auth": settings.auth.resolve_paths(folder)})
        return settings
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = tuple(item["loc"])
            name = ".".join(str(part) for part in loc)
            from_flag = bool(loc) and loc[0] in given
            if item["type"] == "extra_forbidden":
                meant = closest(str(loc[-1]), ServiceSettings.model_fields, any_case=True)
                message = f"unknown key {str(loc[-1])!r}{did_you_mean(meant)}"
            else:
                message = f"{name}: {str(item['msg']).removeprefix('Value error, ')}"
            if from_flag or document is None:
                where = SourceLocation(COMMAND_LINE if from_flag else str(config or COMMAND_LINE), 1, 1)
            else:
                where = document.locate(loc, at_key=item["type"] == "extra_forbidden")
            problems.append(RuleProblem(where, message, kind=ProblemKind.SCHEMA))
        raise ServiceConfigError(problems) from None


def _read(config: Path) -> tuple[Any, dict[str, Any]]:
    """The config file's document and its mapping, its relative paths made relative to its folder."""
    try:
        text = config.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ServiceConfigError(
            [RuleProblem(SourceLocation(str(config), 1, 1), f"cannot read: {reason}")]
        ) from None
    document, problems = load_yaml(config, text)
    if problems or document is None:
        raise ServiceConfigError(problems)
    if document.data is None:
        return document, {}
    if not isinstance(document.data, dict):
        where = document.locate(())
        raise ServiceConfigError(
            [RuleProblem(where, "a serve.yaml is a mapping of settings (host: ..., port: ...)")]
        )
    data = dict(document.data)
    folder = config.parent
    if isinstance(data.get("rules"), list):
        data["rules"] = [str(folder / item) if isinstance(item, str) else item for item in data["rules"]]
    if isinstance(data.get("overrides"), str):
        data["overrides"] = str(folder / data["overrides"])
    db = data.get("db")
    if (
        isinstance(db, str)
        and db.startswith(SQLITE)
        and db[len(SQLITE) :]
        and not db[len(SQLITE) :].startswith("/")
    ):
        data["db"] = f"{SQLITE}{(folder / db[len(SQLITE) :]).resolve()}"  # a file beside the config
    return document, data
