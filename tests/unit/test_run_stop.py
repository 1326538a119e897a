"""Ctrl-C during `make run`'s in-process async steps (seed, system check) stops the stack.

A newcomer who presses Ctrl-C while the demo is still coming up must not be left with a
stack that ignores them: the interrupt becomes a cancellation of the running step, and the
stop flag is checked again afterwards even when the step swallowed the cancellation (as a
native completion callback or `asyncio.wait_for` may).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from devstack.run import Stack


@pytest.fixture
def stack() -> Iterator[Stack]:
    stack = Stack()
    previous = signal.signal(signal.SIGINT, stack.on_signal)
    try:
        yield stack
    finally:
        signal.signal(signal.SIGINT, previous)


def ctrl_c_after(seconds: float) -> None:
    threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT)).start()


def test_ctrl_c_cancels_a_running_step(stack: Stack) -> None:
    cleaned_up = []

    async def step() -> str:
        try:
            await asyncio.sleep(30)
        finally:
            cleaned_up.append(True)  # the step's own cleanup (engine.dispose) still runs
        return "finished"

    ctrl_c_after(0.2)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        stack.run_async(step())
    assert time.monotonic() - started < 10
    assert cleaned_up == [True]


def test_ctrl_c_stops_even_when_the_step_swallows_the_cancellation(stack: Stack) -> None:
    async def stubborn() -> str:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            return "swallowed"
        return "finished"

    ctrl_c_after(0.2)
    with pytest.raises(KeyboardInterrupt):
        stack.run_async(stubborn())


def test_a_step_without_ctrl_c_returns_its_result(stack: Stack) -> None:
    async def quick() -> int:
        await asyncio.sleep(0)
        return 42

    assert stack.run_async(quick()) == 42
    stack.check_children()  # no stop requested, no children: nothing raised


def test_ctrl_c_while_spawning_is_honoured_right_after(stack: Stack) -> None:
    stack.spawning = True
    os.kill(os.getpid(), signal.SIGINT)  # arrives while a child is being recorded
    stack.spawning = False
    with pytest.raises(KeyboardInterrupt):
        stack.check_children()
