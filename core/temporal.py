"""The one way to reach Temporal: `connect_client()` with the project's data converter.

The API, the worker, the tests and the replayer all use `DATA_CONVERTER` so payloads are
encoded the same way everywhere (pydantic contracts; the encryption codec is added to
this same converter by the Temporal plumbing work).
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

DATA_CONVERTER: DataConverter = pydantic_data_converter


async def connect_client(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=DATA_CONVERTER)


class LazyClient:
    """A client connected on first use, so the API starts (and saves rows to the outbox)
    while Temporal is still starting or down."""

    def __init__(self, address: str, namespace: str) -> None:
        self.address = address
        self.namespace = namespace
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def get(self, connect_timeout: float = 3.0) -> Client:
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                self._client = await asyncio.wait_for(
                    connect_client(self.address, self.namespace), connect_timeout
                )
        return self._client
