"""Files in Postgres behind a `BlobStore` protocol (ARCHITECTURE §4 "Blob").

Stored in 256 KiB chunks (`blob_chunks`), each blob with its size, SHA-256 and a content
type sniffed from the bytes (never the uploader's claim). Writes refuse anything over the
size cap before a byte is stored; reads stream chunk by chunk in their own short
transactions, so a large download holds no request transaction open.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select

from core.db import SessionMaker, UnitOfWork, open_unit
from core.errors import InvalidInput, NotFound
from models.orm.blob import Blob, BlobChunk

CHUNK = 256 * 1024
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
]


def sniff(head: bytes) -> str:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:  # a multi-byte character cut at the end is fine
            if exc.start < len(head) - 3:
                return "application/octet-stream"
        return "text/plain"
    return "application/octet-stream"


def clean_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|*?:')
    return name[:255] or "file"


class BlobDamaged(RuntimeError):
    pass


class BlobStore(Protocol):
    async def put(
        self,
        uow: UnitOfWork,
        *,
        filename: str,
        data: AsyncIterable[bytes],
        created_by: uuid.UUID | None = None,
    ) -> Blob: ...

    async def get(self, uow: UnitOfWork, blob_id: uuid.UUID) -> Blob: ...

    def stream(self, blob: Blob) -> AsyncIterator[bytes]: ...


class PostgresBlobStore:
    def __init__(self, sessionmaker: SessionMaker, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._sessionmaker = sessionmaker
        self.max_bytes = max_bytes

    async def put(
        self,
        uow: UnitOfWork,
        *,
        filename: str,
        data: AsyncIterable[bytes],
        created_by: uuid.UUID | None = None,
    ) -> Blob:
        if uow.practice_id is None:
            raise NotFound("No practice selected")
        blob_id = uuid.uuid4()
        digest = hashlib.sha256()
        size, seq, head, pending = 0, 0, b"", bytearray()
        chunks: list[BlobChunk] = []
        async for piece in data:
            size += len(piece)
            if size > self.max_bytes:
                raise InvalidInput(
                    "The file is too large",
                    field_errors={
                        "file": f"Files can be up to {self.max_bytes // (1024 * 1024)} MB."
                    },
                )
            digest.update(piece)
            if len(head) < 512:
                head += piece[: 512 - len(head)]
            pending += piece
            while len(pending) >= CHUNK:
                chunks.append(
                    BlobChunk(practice_id=uow.practice_id, blob_id=blob_id, seq=seq,
                              data=bytes(pending[:CHUNK]))
                )  # fmt: skip
                del pending[:CHUNK]
                seq += 1
        if pending or seq == 0:
            chunks.append(
                BlobChunk(
                    practice_id=uow.practice_id, blob_id=blob_id, seq=seq, data=bytes(pending)
                )
            )
        blob = Blob(
            id=blob_id,
            practice_id=uow.practice_id,
            filename=clean_filename(filename),
            content_type=sniff(head),
            size_bytes=size,
            sha256=digest.digest(),
            created_by_staff_id=created_by,
            created_at=datetime.now(UTC),
        )
        uow.session.add(blob)
        await uow.session.flush()
        uow.session.add_all(chunks)
        await uow.session.flush()
        return blob

    async def get(self, uow: UnitOfWork, blob_id: uuid.UUID) -> Blob:
        blob = await uow.session.scalar(
            select(Blob).where(Blob.practice_id == uow.practice_id, Blob.id == blob_id)
        )
        if blob is None:
            raise NotFound("No such file")
        return blob

    async def stream(self, blob: Blob) -> AsyncIterator[bytes]:
        """The bytes, chunk by chunk; a file whose chunks went missing ends in an error,
        never in a silently shorter download."""
        practice_id, blob_id, expected = blob.practice_id, blob.id, blob.size_bytes
        seq = streamed = 0
        while True:
            uow = await open_unit(self._sessionmaker, practice_id)
            try:
                data = await uow.session.scalar(
                    select(BlobChunk.data).where(
                        BlobChunk.practice_id == practice_id,
                        BlobChunk.blob_id == blob_id,
                        BlobChunk.seq == seq,
                    )
                )
            finally:
                await uow.close()
            if data is None:
                if streamed != expected:
                    raise BlobDamaged(f"blob {blob_id}: {streamed} of {expected} bytes")
                return
            if data:
                streamed += len(data)
                yield data
            seq += 1
