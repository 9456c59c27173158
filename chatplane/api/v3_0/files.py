"""send_file (both APIs) and upload_image (agents): multipart uploads up to 10 MB.

The server makes the `file` event (name, url, content_type, size, and width/height for
PNG, GIF and JPEG read from the image header). Files are served back from /files/ under
an unguessable key, as attachments unless they are raster images, and never as HTML.
"""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.domain import chats
from chatplane.domain.access import CONVERSATION_WRITE
from chatplane.domain.chats import NewEvent
from chatplane.errors import validation
from chatplane.files import images
from chatplane.files.storage import StoredFile
from chatplane.services import Services

actions = Actions()

# Raster images are shown inline; everything else downloads.
INLINE_TYPES = {"image/png", "image/gif", "image/jpeg", "image/webp"}


def _upload(payload: dict[str, Any], field: str) -> UploadFile:
    value = payload.get(field)
    if not isinstance(value, UploadFile):
        raise validation(f"payload.{field} must be a file part of the multipart body")
    if not value.filename:
        raise validation(f"payload.{field} needs a file name")
    return value


def _text(payload: dict[str, Any], field: str, required: bool) -> str | None:
    value = payload.get(field)
    if value is None:
        if required:
            raise validation(f"payload.{field} is required")
        return None
    if not isinstance(value, str) or (required and not value):
        raise validation(f"payload.{field} must be a non-empty string")
    return value


def _content_type(upload: UploadFile) -> str:
    sniffed = images.sniff_type(upload.file)
    if sniffed:
        return sniffed
    claimed = (upload.content_type or "").split(";")[0].strip().lower()
    if claimed and "/" in claimed:
        return claimed
    guessed, _ = mimetypes.guess_type(upload.filename or "")
    return guessed or "application/octet-stream"


async def _store(ctx: Context, upload: UploadFile) -> tuple[StoredFile, dict[str, Any]]:
    """Keep the file; returns it and the `file` event's fields (without url)."""
    content_type = _content_type(upload)
    name = Path(upload.filename or "file").name[:255] or "file"
    store = ctx.services.file_store
    loop = asyncio.get_running_loop()
    stored = await loop.run_in_executor(
        None, store.save, ctx.caller.license_id, name, content_type, upload.file
    )
    body: dict[str, Any] = {"name": name, "content_type": content_type, "size": stored.size}
    if content_type in images.IMAGE_TYPES:
        dims = images.dimensions(upload.file)
        if dims is not None:
            body["width"], body["height"] = dims
    return stored, body


def base_url(ctx: Context) -> str:
    configured = ctx.services.settings.public_url
    return (configured or ctx.extra.get("base_url") or "").rstrip("/")


def file_url(ctx: Context, stored: StoredFile) -> str:
    return f"{base_url(ctx)}/files/{stored.path}"


async def send_file(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    caller = ctx.caller
    chat_id = _text(payload, "chat_id", True)
    custom_id = _text(payload, "custom_id", False)
    upload = _upload(payload, "file")
    assert chat_id is not None
    # Check access before keeping anything.
    await ctx.services.read(lambda tx: chats.get_chat(tx, caller, chat_id, conv="rw", lock=False))
    stored, body = await _store(ctx, upload)
    url = file_url(ctx, stored)
    new = NewEvent(type="file", custom_id=custom_id, body={**body, "url": url})
    await ctx.commit(lambda tx: chats.send_event(tx, caller, chat_id, new, server_made=True))
    return {"url": url}


actions("agent", "send_file", None, rtm=False, multipart=True, scopes=CONVERSATION_WRITE)(send_file)
actions("customer", "send_file", None, rtm=False, multipart=True)(send_file)


@actions("agent", "upload_image", None, rtm=False, multipart=True)
async def upload_image(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    upload = _upload(payload, "image")
    if images.sniff_type(upload.file) is None:
        raise validation("payload.image must be a PNG, GIF or JPEG image")
    stored, _ = await _store(ctx, upload)
    return {"url": file_url(ctx, stored), "path": stored.path}


def routes(services: Services) -> list[Route]:
    async def serve(request: Request) -> Response:
        try:
            license_id = int(request.path_params["license_id"])
        except ValueError:
            return Response(status_code=404)
        stored = services.file_store.find(license_id, request.path_params["key"])
        if stored is None:
            return Response(status_code=404)
        inline = stored.content_type in INLINE_TYPES
        headers = {
            "X-Content-Type-Options": "nosniff",
            # Whatever a file holds, the browser runs nothing from it in our origin.
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=86400",
        }
        return FileResponse(
            services.file_store.local_path(stored),
            media_type=stored.content_type if inline else "application/octet-stream",
            filename=stored.name,
            content_disposition_type="inline" if inline else "attachment",
            headers=headers,
        )

    return [Route("/files/{license_id}/{key}/{name:path}", serve, methods=["GET"])]
