"""localstripe, launched the way the project needs it (STACK.md §4, §11).

- No pickle-per-write: stock localstripe pickles its whole store to /tmp after every
  POST (per-charge latency grows from ~18 ms to ~230 ms, and two instances clobber each
  other). Here the store is saved to `--state` every few seconds when it changed, and at
  shutdown, so Stripe objects survive a restart of `make run` just like Postgres rows.
- Idempotency-Key honoured, as Stripe does: the same key replays the first response;
  the same key with other parameters is an `idempotency_error`.
- Binds 127.0.0.1 only.

Usage: python -m devstack.localstripe_server --port 8420 [--state var/localstripe/state.pickle]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import pickle
import signal
from pathlib import Path
from typing import Any

from aiohttp import web
from localstripe import resources, server

_idempotency: dict[tuple[str, str, str], tuple[str, int, bytes, str]] = {}
_dirty = False


def _mark_dirty(self: Any) -> None:
    global _dirty
    _dirty = True


def _save(path: Path | None) -> None:
    global _dirty
    if path is None or not _dirty:
        return
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump((dict(resources.store), _idempotency), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    _dirty = False


def _load(path: Path | None) -> None:
    if path is None or not path.exists():
        return
    with path.open("rb") as fh:
        store, idem = pickle.load(fh)
    dict.clear(resources.store)
    dict.update(resources.store, store)
    _idempotency.update(idem)


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        response: web.StreamResponse = await handler(request)
        return response
    digest = hashlib.sha256(await request.read()).hexdigest()
    cache_key = (request.headers.get("Authorization", ""), request.path, key)
    if cache_key in _idempotency:
        seen_digest, status, body, ctype = _idempotency[cache_key]
        if seen_digest != digest:
            return web.json_response(
                {
                    "error": {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the "
                        "same parameters they were first used with.",
                    }
                },
                status=400,
            )
        return web.Response(
            status=status, body=body, content_type=ctype, headers={"Idempotent-Replayed": "true"}
        )
    response = await handler(request)
    payload = response.body if isinstance(response, web.Response) else None
    if isinstance(payload, bytes | bytearray) and response.status < 500:
        _idempotency[cache_key] = (digest, response.status, bytes(payload), response.content_type)
        _mark_dirty(None)
    return response


async def _serve(port: int, state: Path | None) -> None:
    app = server.app
    app.middlewares.insert(0, idempotency_middleware)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"localstripe listening on http://127.0.0.1:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=5)
        _save(state)
    await runner.cleanup()
    _save(state)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--state", type=Path, default=None, help="persist the store here")
    args = parser.parse_args()
    resources.Store.dump_to_disk = _mark_dirty
    resources.Store.try_load_from_disk = lambda self: None
    if args.state is not None:
        args.state.parent.mkdir(parents=True, exist_ok=True)
    _load(args.state)
    asyncio.run(_serve(args.port, args.state))


if __name__ == "__main__":
    main()
