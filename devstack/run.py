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

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit

from core.settings import (
    EMBEDDED_APP_ROLE,
    EMBEDDED_DATABASE,
    EMBEDDED_OWNER_ROLE,
    EMBEDDED_PGDATA,
    LOOPBACK_HOSTS,
    PROJECT_ROOT,
    VAR_DIR,
    SettingsError,
    get_settings,
)
from devstack.seed import DEMO_OPERATOR, DEMO_PASSWORD
from models.contracts.common import SEARCH_ATTRIBUTE_CASE_ID, SEARCH_ATTRIBUTE_PRACTICE_ID

BIN = Path(sys.executable).parent
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
LOG_DIR = VAR_DIR / "log"
T = TypeVar("T")


class StartupFailed(RuntimeError):
    pass


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def wait_until(what: str, check: Callable[[], bool], stack: Stack, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_children()  # a child that died (a port clash) fails fast, not in 60 s
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise StartupFailed(f"{what} did not come up within {timeout:.0f}s (see {LOG_DIR})")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:
        return bool(200 <= response.status < 500)


def temporal_command(port: int, ui_port: int) -> list[str]:
    (VAR_DIR / "temporal").mkdir(parents=True, exist_ok=True)
    return [
        str(BIN / "temporal"), "server", "start-dev", "--ip", "127.0.0.1",
        "--port", str(port), "--ui-port", str(ui_port),
        "--db-filename", str(VAR_DIR / "temporal" / "temporal.db"),
        # WAL + synchronous=normal: as fast as in-memory, and persistent (STACK.md §9)
        "--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal",
        "--search-attribute", f"{SEARCH_ATTRIBUTE_PRACTICE_ID}=Keyword",
        "--search-attribute", f"{SEARCH_ATTRIBUTE_CASE_ID}=Keyword",
        "--ui-disable-news-fetch", "--log-level", "warn",
    ]  # fmt: skip


def localstripe_command(port: int) -> list[str]:
    state = VAR_DIR / "localstripe" / "state.pickle"
    return [sys.executable, "-m", "devstack.localstripe_server", "--port", str(port),
            "--state", str(state)]  # fmt: skip


def api_command(port: int) -> list[str]:
    return [str(BIN / "uvicorn"), "--factory", "api.app:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--no-access-log", "--proxy-headers"]  # fmt: skip


def temporal_serving(port: int) -> bool:
    health = subprocess.run(
        [str(BIN / "temporal"), "operator", "cluster", "health", "--address", f"127.0.0.1:{port}"],
        capture_output=True, timeout=5, check=False,
    )  # fmt: skip
    return b"SERVING" in health.stdout


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    command.upgrade(Config(str(PROJECT_ROOT / "alembic.ini")), "head")


async def seed() -> bool:
    from core.db import make_engine, make_sessionmaker
    from devstack.seed import seed_demo

    settings = get_settings()
    engine = make_engine(settings.DATABASE_URL, pool_size=1)
    try:
        return await seed_demo(make_sessionmaker(engine), settings)
    finally:
        await engine.dispose()


async def system_check() -> str:
    from devstack.system_check_cli import describe, run_check

    settings = get_settings()
    try:
        return describe(
            await run_check(
                settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE, settings.payload_keys
            )
        )
    except Exception as exc:
        return f"the worker did not answer ({type(exc).__name__}); see var/log/worker.log"


class Stack:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.pg: Any = None
        self._logs: list[IO[bytes]] = []
        self.spawning = False
        self.stop_requested = False
        self._cancel_async: Callable[[], object] | None = None

    def start(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (LOG_DIR / f"{name}.log").open("ab")
        self._logs.append(log)
        # No Ctrl-C between spawning the child and recording it: it would be orphaned
        # (children run in their own session, so the terminal's Ctrl-C never reaches them).
        # A signal mask would be inherited by the child; a flag is not.
        self.spawning = True
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=PROJECT_ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.children.append((name, proc))
        finally:
            self.spawning = False
        if self.stop_requested:
            raise KeyboardInterrupt
        return proc

    def on_signal(self, signum: int, frame: object) -> None:
        # The flag is what counts: an exception raised from a signal handler lands in
        # whatever code runs at that instant, and code in a native extension (the Temporal
        # client's completion callbacks) may swallow it. Every wait re-checks the flag.
        self.stop_requested = True
        if self.spawning:
            return
        if self._cancel_async is not None:  # inside run_async: cancel, don't interrupt
            self._cancel_async()
            return
        raise KeyboardInterrupt

    def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """One in-process async step (seed, system check) that Ctrl-C cancels cleanly."""

        async def main() -> T:
            task = asyncio.current_task()
            assert task is not None
            loop = asyncio.get_running_loop()
            self._cancel_async = lambda: loop.call_soon_threadsafe(task.cancel)
            try:
                return await coro
            finally:
                self._cancel_async = None

        try:
            result = asyncio.run(main())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None
        self.check_stop()
        return result

    def check_stop(self) -> None:
        if self.stop_requested:
            raise KeyboardInterrupt

    def check_children(self) -> None:
        self.check_stop()
        for name, proc in self.children:
            if proc.poll() is not None:
                raise StartupFailed(
                    f"{name} exited with {proc.returncode} (see var/log/{name}.log)"
                )

    def stop(self) -> None:
        """Children in reverse order, then Postgres; a second Ctrl-C cannot cut it short."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        try:
            self._stop_children()
        finally:
            if self.pg is not None:
                self.pg.stop()
            for log in self._logs:
                log.close()

    def _stop_children(self) -> None:
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

    # A part configured elsewhere (environment or .env) is not started here.
    configured = settings.model_fields_set
    embedded_db = "DATABASE_URL" not in configured
    own_temporal = "TEMPORAL_ADDRESS" not in configured
    own_stripe = "STRIPE_API_KEY" not in configured
    env: dict[str, str] = {"PYTHONUNBUFFERED": "1"}
    if "APP_BASE_URL" not in configured:
        env["APP_BASE_URL"] = f"http://127.0.0.1:{api_port}"
    if "OPERATOR_EMAILS" not in configured and settings.demo_seed_enabled:
        # On this one machine the demo owner is also the platform operator: the workflow
        # console links into the Temporal Web UI for them.
        env["OPERATOR_EMAILS"] = DEMO_OPERATOR

    stack = Stack()
    # Explicitly: a shell that starts us in the background leaves SIGINT ignored, and
    # Python keeps an inherited SIG_IGN, so Ctrl-C sent to the process group would be lost.
    signal.signal(signal.SIGINT, stack.on_signal)
    signal.signal(signal.SIGTERM, stack.on_signal)
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
            stack.start("temporal", temporal_command(temporal_port, ui_port), {})
            env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{temporal_port}"
            env["TEMPORAL_UI_URL"] = f"http://127.0.0.1:{ui_port}"
        if own_stripe:
            stack.start("localstripe", localstripe_command(stripe_port), {})
            env["STRIPE_API_BASE"] = f"http://127.0.0.1:{stripe_port}"
        os.environ.update(env)  # in-process steps below read the same settings
        get_settings.cache_clear()

        print("• migrating the database (owner role)…", flush=True)
        migrate()
        stack.start("api", api_command(api_port), env)  # the API needs no Temporal to start
        if settings.demo_seed_enabled:
            seeded = stack.run_async(seed())
            print("• demo practice seeded" if seeded else "• demo practice already there")
        if own_temporal:
            wait_until("Temporal dev server", lambda: temporal_serving(temporal_port), stack)
        stack.start("worker", [sys.executable, "worker.py"], env)
        wait_until("API", lambda: http_ok(f"http://127.0.0.1:{api_port}/healthz"), stack)
        if own_temporal:
            wait_until("Temporal Web UI", lambda: http_ok(f"http://127.0.0.1:{ui_port}/"), stack)
        stack.check_children()
        check = stack.run_async(system_check())
        stack.check_children()
        # The address to open is the app's own (a localhost APP_BASE_URL turns portal
        # passkeys on): forms are checked against it, so 127.0.0.1 would not do then.
        app_url = get_settings().APP_BASE_URL.rstrip("/")
        if urlsplit(app_url).hostname not in LOOPBACK_HOSTS:
            app_url = f"http://127.0.0.1:{api_port}"
        _banner(
            app_url,
            ui_port,
            own_temporal,
            settings.demo_seed_enabled,
            check,
            time.monotonic() - started,
        )
        while True:
            stack.check_children()
            time.sleep(0.5)
    except KeyboardInterrupt:
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
    app_url: str,
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
        f"  App               {app_url}/",
        f"  System health     {app_url}/health",
        f"  Mail outbox (dev) {app_url}/dev/outbox",
        f"  API docs          {app_url}/api/docs",
        f"  Workflow console  {app_url}/app/workflows  (owners)",
    ]
    if own_temporal:
        lines.append(f"  Temporal Web UI   http://127.0.0.1:{ui_port}/  (operators)")
    lines.append("")
    if check:
        lines.append(f"  System check: {check}")
    if seeded:
        lines += [
            "  Demo practice: Riverbend Counseling Collective (/riverbend)",
            f"  Sign in at {app_url}/login with password {DEMO_PASSWORD}:",
            "    owner@riverbend.example      Dr. Maya Okafor (owner)",
            "    provider@riverbend.example   Jonah Reyes (provider, supervises Sam)",
            "    provider2@riverbend.example  Dr. Priya Natarajan (provider)",
            "    associate@riverbend.example  Sam Whitfield (associate)",
            "    admin@riverbend.example      Lee Carter (admin, may act for Priya)",
        ]
    lines += ["", "  Logs: var/log/   Stop: Ctrl-C (data stays in var/)", ""]
    print("\n".join(lines), flush=True)


def main() -> None:
    raise SystemExit(run())


if __name__ == "__main__":
    main()
