"""Serving stored files: always as a download, typed by their sniffed content, sandboxed.

Who may fetch a file is the policy's call (`Action.read_file`): its uploader and owners
for now; documents, forms and messages add their relations when they arrive.
"""

from __future__ import annotations

import base64
import uuid
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from api.auth import CurrentStaff
from api.deps import Audit, Uow
from api.routing import AppRoute
from core.errors import NotFound
from services.access import Action, can
from services.blobs import BlobStore

router = APIRouter(route_class=AppRoute, include_in_schema=False)

SANDBOX_CSP = "sandbox; default-src 'none'"


@router.get("/files/{blob_id}", name="files.download")
async def download(
    request: Request, uow: Uow, me: CurrentStaff, audit: Audit, blob_id: uuid.UUID
) -> Response:
    store: BlobStore = request.app.state.blobs
    blob = await store.get(uow, blob_id)  # another practice's id: 404
    if not can(me.actor, Action.read_file, blob.created_by_staff_id):
        raise NotFound("No such file")
    audit.subject("file", [blob.id])
    disposition = f"attachment; filename*=UTF-8''{quote(blob.filename)}"
    return StreamingResponse(
        store.stream(blob),
        media_type=blob.content_type,
        headers={
            "Content-Disposition": disposition,
            "Content-Length": str(blob.size_bytes),
            "Content-Security-Policy": SANDBOX_CSP,
            "X-Content-Type-Options": "nosniff",
            "Repr-Digest": f"sha-256=:{base64.b64encode(blob.sha256).decode()}:",
        },
    )
