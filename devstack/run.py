"""`make run`: the whole product on one machine with nothing installed but Python.

Starts, in order: embedded Postgres (var/pgdata) → the Temporal dev server (SQLite in WAL
mode under var/temporal, Web UI, search attributes PracticeId and CaseId) and localstripe
(state under var/localstripe) → migrations as the owner role → demo seed → worker → API.
Then it runs the system check through the worker and prints the URLs.

Parts configured elsewhere are not started: DATABASE_URL set → no embedded Postgres;
TEMPORAL_ADDRESS set → no dev server; STRIPE_API_KEY set → no localstripe.
Ctrl-C (or SIGTERM) stops every child in reverse order, then Postgres. Data stays for
the next start. Logs: var/log/<part>.log. Ports: API_PORT, TEMPORAL_PORT,
TEMPORAL_UI_PORT, STRIPE_PORT (defaults 8000, 7233, 8233, 8420).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from core.settings import (
    EMBEDDED_APP_ROLE,
    EMBEDDED_DATABASE,
    EMBEDDED_OWNER_ROLE,
    EMBEDDED_PGDATA,
    PLACEHOLDER_STRIPE_KEY,
    PROJECT_ROOT,
    VAR_DIR,
    SettingsError,
    embedded_url,
    get_settings,
)

BIN = Path(sys.executable).parent
LOG_DIR = VAR_DIR / "log"


class StartupFailed(RuntimeError):
    pass


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def wait_until(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise StartupFailed(f"{what} did not come up within {timeout:.0f}s (see {LOG_DIR})")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return bool(200 <= response.status < 500)


class Stack:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.pg: Any = None
        self._logs: list[IO[bytes]] = []
        self.stopping = False

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (LOG_DIR / f"{name}.log").open("ab")
        self._logs.append(log)
        proc = subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a terminal Ctrl-C reaches only us; we stop them in order
        )
        self.children.append((name, proc))
        return proc

    def check_children(self) -> None:
        for name, proc in self.children:
            if proc.poll() is not None:
                raise StartupFailed(
                    f"{name} exited with {proc.returncode} (see var/log/{name}.log)"
                )

    def stop(self) -> None:
        self.stopping = True
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in reversed(self.children):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop in 15s; killing it")
                proc.kill()
                proc.wait()
        if self.pg is not None:
            self.pg.stop()
        for log in self._logs:
            log.close()


def run() -> int:
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"Configuration problem: {exc}")
        return 2
    if settings.is_production:
        print("make run is the development profile; see README 'Production' for production.")
        return 2
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    api_port = _port("API_PORT", 8000)
    temporal_port = _port("TEMPORAL_PORT", 7233)
    ui_port = _port("TEMPORAL_UI_PORT", 8233)
    stripe_port = _port("STRIPE_PORT", 8420)

    env: dict[str, str] = {
        "APP_BASE_URL": os.environ.get("APP_BASE_URL", f"http://127.0.0.1:{api_port}"),
        "PYTHONUNBUFFERED": "1",
    }
    embedded_db = embedded_url(EMBEDDED_APP_ROLE) == settings.DATABASE_URL
    own_temporal = "TEMPORAL_ADDRESS" not in os.environ
    own_stripe = settings.STRIPE_API_KEY.get_secret_value() == PLACEHOLDER_STRIPE_KEY

    stack = Stack()

    def on_signal(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Explicitly: a shell that starts us in the background leaves SIGINT ignored, and
    # Python keeps an inherited SIG_IGN, so Ctrl-C sent to the process group would be lost.
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        if embedded_db:
            from devstack.pg import EmbeddedPostgres, bootstrap_owner_and_database

            stack.pg = EmbeddedPostgres(EMBEDDED_PGDATA)
            stack.pg.start()
            with stack.pg.connect() as conn:
                bootstrap_owner_and_database(conn, EMBEDDED_OWNER_ROLE, EMBEDDED_DATABASE)
            env["DATABASE_URL"] = stack.pg.url(EMBEDDED_APP_ROLE, EMBEDDED_DATABASE)
            env["DATABASE_OWNER_URL"] = stack.pg.url(EMBEDDED_OWNER_ROLE, EMBEDDED_DATABASE)
        if own_temporal:
            (VAR_DIR / "temporal").mkdir(parents=True, exist_ok=True)
            stack.start(
                "temporal",
                [
                    str(BIN / "temporal"),
                    "server",
                    "start-dev",
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    str(temporal_port),
                    "--ui-port",
                    str(ui_port),
                    "--db-filename",
                    str(VAR_DIR / "temporal" / "temporal.db"),
                    "--sqlite-pragma",
                    "journal_mode=wal",
                    "--sqlite-pragma",
                    "synchronous=normal",
                    "--search-attribute",
                    "PracticeId=Keyword",
                    "--search-attribute",
                    "CaseId=Keyword",
                    "--ui-disable-news-fetch",
                    "--log-level",
                    "warn",
                ],
                {},
            )
            env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{temporal_port}"
            env["TEMPORAL_UI_URL"] = f"http://127.0.0.1:{ui_port}"
        if own_stripe:
            stack.start(
                "localstripe",
                [
                    sys.executable,
                    "-m",
                    "devstack.localstripe_server",
                    "--port",
                    str(stripe_port),
                    "--state",
                    str(VAR_DIR / "localstripe" / "state.pickle"),
                ],
                {},
            )
            env["STRIPE_API_BASE"] = f"http://127.0.0.1:{stripe_port}"

        print("• migrating the database (owner role)…", flush=True)
        subprocess.run(
            [sys.executable, "-m", "alembic", "upgrade", "head"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            check=True,
            stdout=(LOG_DIR / "migrate.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        if settings.demo_seed_enabled:
            subprocess.run(
                [sys.executable, "-m", "devstack.seed_cli"],
                cwd=PROJECT_ROOT,
                env={**os.environ, **env},
                check=True,
            )
        if own_temporal:
            wait_until(
                "Temporal dev server",
                lambda: (
                    b"SERVING"
                    in subprocess.run(
                        [
                            str(BIN / "temporal"),
                            "operator",
                            "cluster",
                            "health",
                            "--address",
                            f"127.0.0.1:{temporal_port}",
                        ],
                        capture_output=True,
                        timeout=5,
                    ).stdout
                ),
            )
        stack.start("worker", [sys.executable, "worker.py"], env)
        stack.start(
            "api",
            [
                str(BIN / "uvicorn"),
                "--factory",
                "api.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(api_port),
                "--no-access-log",
                "--proxy-headers",
            ],
            env,
        )
        wait_until("API", lambda: http_ok(f"http://127.0.0.1:{api_port}/healthz"))
        if own_temporal:
            wait_until("Temporal Web UI", lambda: http_ok(f"http://127.0.0.1:{ui_port}/"))
        stack.check_children()
        check = subprocess.run(
            [sys.executable, "-m", "devstack.system_check_cli"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        stack.check_children()
        _banner(
            env,
            api_port,
            ui_port,
            own_temporal,
            settings.demo_seed_enabled,
            check.stdout.strip(),
            time.monotonic() - started,
        )
        while True:
            stack.check_children()
            time.sleep(0.5)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("\n• stopping…", flush=True)
        stack.stop()
        print("• stopped. Data is kept under var/ for the next start.")
        return 0
    except (StartupFailed, subprocess.CalledProcessError) as exc:
        print(f"✗ {exc}", flush=True)
        stack.stop()
        return 1
    except BaseException:
        stack.stop()
        raise


def _banner(
    env: dict[str, str],
    api_port: int,
    ui_port: int,
    own_temporal: bool,
    seeded: bool,
    check: str,
    took: float,
) -> None:
    lines = [
        "",
        f"PracticeRunner is READY ({took:.1f}s)",
        "",
        f"  App               http://127.0.0.1:{api_port}/",
        f"  System health     http://127.0.0.1:{api_port}/health",
        f"  Mail outbox (dev) http://127.0.0.1:{api_port}/dev/outbox",
        f"  API docs          http://127.0.0.1:{api_port}/api/docs",
    ]
    if own_temporal:
        lines.append(f"  Temporal Web UI   http://127.0.0.1:{ui_port}/  (operators)")
    lines.append("")
    if check:
        lines.append(f"  System check: {check}")
    if seeded:
        lines += [
            "  Demo practice: Riverbend Counseling Collective (/riverbend)",
            "  Demo staff: owner@ provider@ provider2@ associate@ admin@ riverbend.example",
            "  (sign-in arrives with staff identity; the staff records are seeded already)",
        ]
    lines += ["", "  Logs: var/log/   Stop: Ctrl-C (data stays in var/)", ""]
    print("\n".join(lines), flush=True)


def main() -> None:
    raise SystemExit(run())


if __name__ == "__main__":
    main()
