"""The two-command quickstart, as a newcomer meets it: a fresh copy of the tree,
`make run` until READY, Ctrl-C leaves nothing running, a second start is quick and finds
its data. (The same check as ../shared/tools/newcomer-check, on free ports.)"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from tests.fixtures.waiting import until_sync

pytestmark = pytest.mark.stack

# A later start installs and seeds nothing; it is Postgres, Temporal, localstripe, the worker
# and the API starting. The bound catches a start that redoes first-run work (that takes
# a minute), not a slow machine: a loaded CI runner measured 15.3 s.
SECOND_START_BUDGET_S = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_copy(dest: Path) -> Path:
    """What a clone of the current tree would hold (tracked and new, not ignored files)."""
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, files):
        rel = raw.decode()
        src = PROJECT_ROOT / rel
        if not src.exists():
            continue  # deleted in the work tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def processes_under(path: Path) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(path) in cmdline:
            found.append(f"{proc.name}: {cmdline.strip()}")
    return found


class RunningStack:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.log = root / "make-run.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def readies(self) -> int:
        return self.log.read_text(errors="replace").count("is READY") if self.log.exists() else 0

    def start(self, timeout: float) -> float:
        """`make run` until it prints READY again; returns the seconds it took."""
        before = self.readies()
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                ["make", "run"],
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        while time.monotonic() - started < timeout:
            if self.readies() > before:
                return time.monotonic() - started
            if self.proc.poll() is not None:
                pytest.fail(f"make run exited early:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)
        pytest.fail(f"make run not READY in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def start_and_interrupt_at(self, line: str, timeout: float) -> None:
        """`make run`, and Ctrl-C as soon as `line` shows — while it is still coming up."""
        before = self.log.read_text(errors="replace").count(line)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                ["make", "run"],
                cwd=self.root,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while self.log.read_text(errors="replace").count(line) == before:
            assert time.monotonic() < deadline, f"{line!r} never showed"
            time.sleep(0.05)
        self.interrupt()

    def interrupt(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        # ../shared/tools/newcomer-check gives Ctrl-C 20 s before it calls processes left over
        self.proc.wait(timeout=20)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body.decode()


@pytest.fixture
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    root = fresh_copy(tmp_path_factory.mktemp("newcomer") / "app")
    uv = shutil.which("uv") or str(PROJECT_ROOT / ".tools" / "bin" / "uv")
    ports = {
        name: str(free_port())
        for name in ("API_PORT", "TEMPORAL_PORT", "TEMPORAL_UI_PORT", "STRIPE_PORT")
    }
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "TEMPORAL_", "STRIPE_", "VIRTUAL_ENV"))
    }
    env = {**keep, **ports, "UV": uv, "UV_OFFLINE": "1"}  # no network at test time: the uv cache
    running = RunningStack(root, env)
    try:
        yield running
    finally:
        if running.proc is not None and running.proc.poll() is None:
            os.killpg(running.proc.pid, signal.SIGKILL)
        for line in processes_under(root):
            os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


def test_make_run_starts_stops_cleanly_and_keeps_its_data(stack: RunningStack) -> None:
    api = f"http://127.0.0.1:{stack.env['API_PORT']}"
    stack.start(timeout=300)
    output = stack.log.read_text()
    assert "System check: worker answered as role practicerunner_app; tenancy enforced" in output
    assert f"Temporal Web UI   http://127.0.0.1:{stack.env['TEMPORAL_UI_PORT']}/" in output
    health = get(f"{api}/health")
    assert "All systems go" in health
    get(f"http://127.0.0.1:{stack.env['TEMPORAL_UI_PORT']}/")  # the Web UI answers
    # the seed's practice started PracticeWelcome through the outbox; its mail arrives
    until_sync(lambda: "Getting started with PracticeRunner" in get(f"{api}/dev/outbox"))
    assert f"Workflow console  {api}/app/workflows" in output
    # the worker ensured the demo practice's schedules (AttentionSweep, NoticeDispatch)
    worker_log = stack.root / "var" / "log" / "worker.log"
    until_sync(lambda: "schedules ensured: 2" in worker_log.read_text(errors="replace"))
    # the seed's bookings nudged NoticeDispatch through the outbox: their notices arrive
    until_sync(lambda: "Appointment confirmed" in get(f"{api}/dev/outbox"), within=30)

    stack.interrupt()
    assert processes_under(stack.root) == []
    assert "stopped. Data is kept" in stack.log.read_text()

    took = stack.start(timeout=60)
    assert took < SECOND_START_BUDGET_S, f"second start took {took:.1f}s"
    assert "demo practice already there" in stack.log.read_text()
    assert get(f"{api}/dev/outbox").count("Getting started with PracticeRunner") == 1
    stack.interrupt()
    assert processes_under(stack.root) == []

    # Ctrl-C while the stack is still coming up (worker starting, system check running)
    stack.start_and_interrupt_at("demo practice already there", timeout=60)
    assert processes_under(stack.root) == []
    assert stack.log.read_text().count("stopped. Data is kept") == 3
    for part in ("worker", "api"):  # every stop was clean: no crash report at exit
        log = (stack.root / "var" / "log" / f"{part}.log").read_text(errors="replace")
        assert "Fatal Python error" not in log and "Traceback" not in log, log[-3000:]
