"""The Dockerfile, without a Docker daemon (none runs on our machines): its build stage's ``COPY`` steps
are done from the build context as ``.dockerignore`` leaves it, its ``RUN pip install`` steps run in a
fresh virtual environment (pip from the registry: this takes minutes), and its ``CMD`` is started there
and must answer ``GET /cds-services``. Other ``RUN`` steps (apt-get, useradd, the image's own venv) are
the image's business and are not run here; the test's venv stands for the image's ``/opt/doseguard``."""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
STARTUP_BOUND = 180.0  # seconds the service may take to answer; a bound on waiting, not an assertion


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    found: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, arguments = whole.partition(" ")
        found.append(Instruction(keyword.upper(), arguments.strip()))
    return found


def stages() -> list[list[Instruction]]:
    """The Dockerfile's stages, each from its ``FROM``."""
    found: list[list[Instruction]] = []
    for instruction in instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if instruction.keyword == "FROM":
            found.append([])
        found[-1].append(instruction)
    return found


def first(stage: list[Instruction], keyword: str) -> Instruction:
    return next(instruction for instruction in stage if instruction.keyword == keyword)


def ignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def is_ignored(relative: str, patterns: list[str]) -> bool:
    """Whether ``.dockerignore`` leaves a context path out (it, or a folder it is in, matches)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    return any(
        fnmatch.fnmatchcase(prefix, pattern) or fnmatch.fnmatchcase(prefix, pattern.removeprefix("**/"))
        or fnmatch.fnmatchcase(parts[index], pattern.removeprefix("**/"))
        for pattern in patterns
        for index, prefix in enumerate(prefixes)
    )  # fmt: skip


def copy_from_context(sources: list[str], destination: Path) -> None:
    """``COPY sources destination``, from the context without what .dockerignore leaves out."""
    patterns = ignore_patterns()
    for source in sources:
        assert not is_ignored(source, patterns), f"COPY {source}: .dockerignore leaves it out of the context"
        path = ROOT / source
        if path.is_dir():
            shutil.copytree(
                path,
                destination,
                dirs_exist_ok=True,
                ignore=lambda folder, names: [
                    name
                    for name in names
                    if is_ignored((Path(folder) / name).relative_to(ROOT).as_posix(), patterns)
                ],
            )
        else:
            target = destination / path.name if destination.is_dir() else destination
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def in_image(root: Path, path: str, workdir: Path) -> Path:
    """Where an image path lands under ``root`` (a relative one is under the WORKDIR)."""
    return root / path.lstrip("/") if path.startswith("/") else workdir / path


def copy_step(root: Path, workdir: Path, arguments: str) -> None:
    *sources, destination = shlex.split(arguments)
    target = in_image(root, destination, workdir)
    if destination.endswith("/") or len(sources) > 1:
        target.mkdir(parents=True, exist_ok=True)
    copy_from_context(sources, target)


def clean_environment(venv: Path) -> dict[str, str]:
    """The environment of the image's processes: the venv first on PATH, nothing of this checkout's
    (no PYTHONPATH pointing at its ``src``)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass(frozen=True)
class Image:
    root: Path  # the image's file system, as far as the steps run here make it
    venv: Path
    pip_steps: tuple[tuple[str, ...], ...]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Image:
    """The build stage's COPY and pip install steps done, and the final stage's plain COPY steps."""
    base = tmp_path_factory.mktemp("image")
    root, venv = base / "root", base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = clean_environment(venv)
    pip_steps: list[tuple[str, ...]] = []
    build, final = stages()[0], stages()[-1]
    workdir = root
    for instruction in build:
        if instruction.keyword == "WORKDIR":
            workdir = in_image(root, instruction.arguments, workdir)
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            copy_step(root, workdir, instruction.arguments)
        elif instruction.keyword == "RUN" and "pip install" in instruction.arguments:
            command = shlex.split(instruction.arguments)
            assert command[:2] == ["pip", "install"] and "&&" not in command, "one pip install per RUN"
            done = subprocess.run(
                [str(venv / "bin" / "python"), "-m", *command],
                cwd=workdir, env=env, capture_output=True, text=True, timeout=1800, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
            pip_steps.append(tuple(command))
    for instruction in final:
        if instruction.keyword == "COPY" and not instruction.arguments.startswith("--from"):
            copy_step(root, root, instruction.arguments)
    return Image(root, venv, tuple(pip_steps))


def test_the_install_steps_install_doseguard_with_the_service_and_postgres_extras(image: Image) -> None:
    assert image.pip_steps == (("pip", "install", "--no-cache-dir", ".[service,postgres]"),)
    probe = (
        "import doseguard, fastapi, uvicorn, httpx, jwt, cryptography, sqlalchemy, alembic, prometheus_client,"
        " psycopg; from doseguard.service.auth import JwtVerifier; print(doseguard.__file__)"
    )
    done = subprocess.run(
        [str(image.venv / "bin" / "python"), "-c", probe],
        env=clean_environment(image.venv), cwd=image.root, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(image.venv)  # installed, not this checkout's src/


def test_the_installed_command_carries_the_bundled_rules(image: Image) -> None:
    done = subprocess.run(
        [str(image.venv / "bin" / "doseguard"), "rules", "list"],
        env=clean_environment(image.venv), cwd=image.root, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "B12-CONC-MISMATCH" in done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def service(image: Image) -> Iterator[tuple[str, int, subprocess.Popen[bytes]]]:
    """The Dockerfile's CMD started in the venv. Test-only substitutions, each said here: the host
    0.0.0.0 becomes 127.0.0.1 and the port a free one, ``--insecure-dev`` is added (no EHR signs
    tokens here), the config path is read under the image's root, and ``--db`` gives a SQLite file in
    the test's folder (as compose.yaml gives PostgreSQL) because the image's /var/lib is not ours."""
    command = json.loads(first(stages()[-1], "CMD").arguments)
    port = free_port()
    config = command[command.index("--config") + 1]
    substituted = [
        {
            "0.0.0.0": "127.0.0.1",
            "8080": str(port),
            config: str(in_image(image.root, config, image.root)),
        }.get(argument, argument)
        for argument in command
    ]
    database = image.root / "feedback.sqlite3"
    substituted += ["--insecure-dev", "--db", f"sqlite:///{database}"]
    process = subprocess.Popen(
        substituted, env=clean_environment(image.venv), cwd=image.root,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        yield "127.0.0.1", port, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stderr is not None:
            process.stderr.close()


def first_answer(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    """The first answer at ``url`` once the service listens (or the reason it never did)."""
    deadline = time.monotonic() + STARTUP_BOUND
    while True:
        if process.poll() is not None:
            error = process.stderr.read().decode(errors="replace") if process.stderr else ""
            pytest.fail(f"the service stopped (exit {process.returncode}) before answering:\n{error[-4000:]}")
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                pytest.fail(f"the service did not answer at {url} within {STARTUP_BOUND} s")
            time.sleep(0.5)


def test_the_cmd_starts_the_service_and_discovery_and_the_healthcheck_answer(
    image: Image, service: tuple[str, int, subprocess.Popen[bytes]]
) -> None:
    host, port, process = service
    answer = first_answer(f"http://{host}:{port}/cds-services", process)
    assert answer.status_code == 200, answer.text
    assert {"doseguard-order-select", "doseguard-order-sign"} <= {s["id"] for s in answer.json()["services"]}
    healthcheck = first(stages()[-1], "HEALTHCHECK").arguments
    probe = json.loads(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    done = subprocess.run(
        [argument.replace(":8080/", f":{port}/") for argument in probe],
        env=clean_environment(image.venv), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


# --- what the image is, read from the files ---------------------------------------------------------


def test_the_image_is_python_3_11_slim_runs_as_a_user_and_serves_on_8080() -> None:
    every = stages()
    assert {first(stage, "FROM").arguments.split()[0] for stage in every} == {"python:3.11-slim"}
    final = every[-1]
    users = [i.arguments for i in final if i.keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert first(final, "EXPOSE").arguments == "8080"
    assert "/healthz" in first(final, "HEALTHCHECK").arguments
    command = json.loads(first(final, "CMD").arguments)
    assert command[:2] == ["doseguard", "serve"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8080"


def test_compose_runs_the_images_command_with_postgresql() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    service, database = compose["services"]["doseguard"], compose["services"]["db"]
    command = json.loads(first(stages()[-1], "CMD").arguments)
    assert service["command"][: len(command)] == command
    assert service["command"][len(command)] == "--db"
    assert service["command"][len(command) + 1].startswith("postgresql+psycopg://doseguard:")
    assert database["image"].startswith("postgres:")
    assert service["depends_on"]["db"]["condition"] == "service_healthy"
    config = command[command.index("--config") + 1]
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
    assert (ROOT / mounted[str(Path(config).parent)] / Path(config).name).is_file()  # deploy/serve.yaml
