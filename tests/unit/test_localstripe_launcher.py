"""The localstripe launcher behind `make run`: Stripe's idempotency, state kept across restarts."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from core.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Launcher:
    def __init__(self, port: int, state: Path) -> None:
        self.port = port
        self.state = state
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devstack.localstripe_server",
                "--port",
                str(self.port),
                "--state",
                str(self.state),
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("localstripe did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
            self.proc = None


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[Launcher]:
    stripe_server = Launcher(free_port(), tmp_path / "state.pickle")
    stripe_server.start()
    try:
        yield stripe_server
    finally:
        stripe_server.stop()


def client(port: int) -> stripe.StripeClient:
    return stripe.StripeClient(
        "sk_test_launcher",
        base_addresses={"api": f"http://127.0.0.1:{port}"},
        max_network_retries=0,
    )


def test_an_idempotency_key_replays_the_first_response(launcher: Launcher) -> None:
    c = client(launcher.port)

    def charge(key: str, amount: int = 15000) -> str:
        intent = c.v1.payment_intents.create(
            {"amount": amount, "currency": "usd"},
            {"idempotency_key": key},
        )
        return intent.id

    first = charge("invoice:1:charge:1")
    assert charge("invoice:1:charge:1") == first
    assert charge("invoice:1:charge:2") != first
    with pytest.raises(stripe.IdempotencyError):
        charge("invoice:1:charge:1", amount=99)


def test_stripe_objects_survive_a_restart(launcher: Launcher) -> None:
    customer = client(launcher.port).v1.customers.create({"description": "billing contact"})
    launcher.stop()
    assert launcher.state.exists()
    launcher.start()
    again = client(launcher.port).v1.customers.retrieve(customer.id)
    assert again.id == customer.id
