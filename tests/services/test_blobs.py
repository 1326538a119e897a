"""The blob store: size cap, content hash, sniffed type, streamed in chunks, served safely."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from core.db import SessionMaker, open_unit
from core.errors import InvalidInput
from models.orm.staff import StaffRole
from services.blobs import CHUNK, PostgresBlobStore, sniff
from tests.auth.helpers import sign_in
from tests.fixtures.app import client_for
from tests.fixtures.db import Database
from tests.fixtures.factories import make_practice, make_staff, set_password

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4000  # ~1 MB: several chunks


async def pieces(data: bytes, size: int = 100_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_a_file_keeps_its_bytes_hash_and_true_type(sessionmaker: SessionMaker) -> None:
    practice = await make_practice(sessionmaker)
    store = PostgresBlobStore(sessionmaker)
    uow = await open_unit(sessionmaker, practice.id)
    blob = await store.put(uow, filename="../../etc/Consent form.txt", data=pieces(PDF))
    await uow.commit()
    await uow.close()
    assert blob.size_bytes == len(PDF) > 3 * CHUNK
    assert blob.sha256 == hashlib.sha256(PDF).digest()
    assert blob.content_type == "application/pdf"  # the bytes, not the ".txt" name
    assert blob.filename == "Consent form.txt"
    streamed = b"".join([part async for part in store.stream(blob)])
    assert streamed == PDF


async def test_over_the_cap_nothing_is_stored(sessionmaker: SessionMaker, db: Database) -> None:
    practice = await make_practice(sessionmaker)
    store = PostgresBlobStore(sessionmaker, max_bytes=1000)
    uow = await open_unit(sessionmaker, practice.id)
    exact = await store.put(uow, filename="ok.txt", data=pieces(b"a" * 1000, 300))
    with pytest.raises(InvalidInput, match="too large"):
        await store.put(uow, filename="big.txt", data=pieces(b"a" * 1001, 300))
    await uow.commit()
    await uow.close()
    with db.owner() as owner:
        assert owner.execute("SELECT filename FROM blobs").fetchall() == [("ok.txt",)]
    assert exact.size_bytes == 1000


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\x89PNG\r\n\x1a\nrest", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"plain words", "text/plain"),
        (b"<script>alert(1)</script>", "text/plain"),
        (b"\x00\x01\x02", "application/octet-stream"),
    ],
)
def test_sniffing(head: bytes, kind: str) -> None:
    assert sniff(head) == kind


async def test_files_are_served_as_sandboxed_downloads_to_those_who_may(
    app: FastAPI, sessionmaker: SessionMaker
) -> None:
    practice = await make_practice(sessionmaker)
    await set_password(sessionmaker, practice, practice.owner_id)
    uploader = await make_staff(sessionmaker, practice, StaffRole.provider)
    colleague = await make_staff(sessionmaker, practice, StaffRole.provider)
    other = await make_practice(sessionmaker)
    await set_password(sessionmaker, other, other.owner_id)
    uow = await open_unit(sessionmaker, practice.id)
    blob = await app.state.blobs.put(uow, filename="notes.html", data=pieces(b"<html><script>x</script>"),
                                     created_by=uploader.id)  # fmt: skip
    await uow.commit()
    await uow.close()
    async with client_for(app) as client:
        await sign_in(client, uploader.email)
        response = await client.get(f"/files/{blob.id}")
        assert response.status_code == 200
        assert response.content == b"<html><script>x</script>"
        assert response.headers["content-type"].startswith("text/plain")  # never text/html
        assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''notes.html"
        assert response.headers["content-security-policy"] == "sandbox; default-src 'none'"
        assert response.headers["x-content-type-options"] == "nosniff"
        await sign_in(client, colleague.email)
        assert (await client.get(f"/files/{blob.id}")).status_code == 404
        await sign_in(client, f"owner@{practice.link_name}.example")
        assert (await client.get(f"/files/{blob.id}")).status_code == 200
        await sign_in(client, f"owner@{other.link_name}.example")
        assert (await client.get(f"/files/{blob.id}")).status_code == 404


async def test_a_damaged_file_never_downloads_short(
    sessionmaker: SessionMaker, db: Database
) -> None:
    from services.blobs import BlobDamaged

    practice = await make_practice(sessionmaker)
    store = PostgresBlobStore(sessionmaker)
    uow = await open_unit(sessionmaker, practice.id)
    blob = await store.put(uow, filename="a.pdf", data=pieces(PDF))
    await uow.commit()
    await uow.close()
    with db.owner() as owner:
        owner.execute("DELETE FROM blob_chunks WHERE blob_id = %s AND seq = 2", (blob.id,))
    with pytest.raises(BlobDamaged):
        _ = [part async for part in store.stream(blob)]
