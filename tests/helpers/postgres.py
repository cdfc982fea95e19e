"""A throwaway PostgreSQL cluster for tests: Debian's binaries (``/usr/lib/postgresql/*/bin``), a
temporary folder, a free loopback port, password authentication; run as the ``postgres`` user when the
tests run as root (initdb refuses root)."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

USER = "doseguard"
PASSWORD = "s3cret-pg-password"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's binaries, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Cluster:
    bin_dir: Path
    folder: Path
    port: int
    _names: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def url(self, database: str, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database's URL (one per test, so that tests do not see each other's rows)."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            _run(self.bin_dir / "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def _as_postgres() -> pwd.struct_passwd | None:
    return pwd.getpwnam("postgres") if os.geteuid() == 0 else None


def _run(program: Path, *args: str) -> None:
    command = [str(program), *args]
    if _as_postgres() is not None:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}")


def start_cluster(bin_dir: Path) -> Cluster:
    folder = Path(tempfile.mkdtemp(prefix="doseguard-pg-"))
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    owner = _as_postgres()
    if owner is not None:
        for path in (folder, password_file):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    try:
        _run(
            bin_dir / "initdb",
            *("-D", str(folder / "data"), "-U", USER, "-A", "scram-sha-256", "--pwfile", str(password_file)),
            *("-E", "UTF8", "--no-locale", "--no-sync"),
        )
        port = _free_port()
        options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} -c fsync=off"
        _run(
            bin_dir / "pg_ctl",
            *(
                "-D",
                str(folder / "data"),
                "-l",
                str(folder / "log"),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
            ),
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Cluster(bin_dir, folder, port)
