"""Browser tests: the real app served by uvicorn on loopback, driven by Playwright in
Debian's Chromium (Playwright's own browser download does not work offline).
Screenshots land in test-artifacts/screenshots/ — open them when you touch a page."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

from core.settings import PROJECT_ROOT, Settings
from tests.fixtures.app import settings_for
from tests.fixtures.db import Database

SHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Debian's chromium is not installed (make browsers)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_port() -> int:
    return free_port()


@pytest.fixture
def app_settings(db: Database, live_port: int) -> Settings:
    # Links in mail and the same-origin check use the address the browser really uses.
    return settings_for(db, APP_BASE_URL=f"http://127.0.0.1:{live_port}")


@pytest_asyncio.fixture
async def live_url(app: FastAPI, live_port: int) -> AsyncIterator[str]:
    port = live_port
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # uvicorn offers no event to wait on  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    # Debian updates Chromium under the pinned Playwright driver: keep the version in the log.
    print(f"\nbrowser: {version.stdout.strip()}")  # noqa: T201
    return path


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    path = chromium
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest_asyncio.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1200, "height": 800})
    p = await context.new_page()
    try:
        yield p
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
