"""Uploaded files, in every API version: the multipart part, the stored file and its URL.

Files are kept by the file store (chatplane/files) under an unguessable key and served
back from /files/ (api/v3_0/files.py serves them).
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import UploadFile

from chatplane.api.dispatch import Context
from chatplane.errors import validation
from chatplane.files import images
from chatplane.files.storage import StoredFile


def upload_part(payload: dict[str, Any], field: str) -> UploadFile:
    value = payload.get(field)
    if not isinstance(value, UploadFile):
        raise validation(f"payload.{field} must be a file part of the multipart body")
    if not value.filename:
        raise validation(f"payload.{field} needs a file name")
    return value


def text_part(payload: dict[str, Any], field: str, required: bool) -> str | None:
    value = payload.get(field)
    if value is None:
        if required:
            raise validation(f"payload.{field} is required")
        return None
    if not isinstance(value, str) or (required and not value):
        raise validation(f"payload.{field} must be a non-empty string")
    return value


def content_type_of(upload: UploadFile) -> str:
    sniffed = images.sniff_type(upload.file)
    if sniffed:
        return sniffed
    claimed = (upload.content_type or "").split(";")[0].strip().lower()
    if claimed and "/" in claimed:
        return claimed
    guessed, _ = mimetypes.guess_type(upload.filename or "")
    return guessed or "application/octet-stream"


async def store_upload(ctx: Context, upload: UploadFile) -> tuple[StoredFile, dict[str, Any]]:
    """Keep the file; returns it and the `file` event's fields (without url)."""
    content_type = content_type_of(upload)
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


# `<base>/files/<license>/<key>/<name>`: what file_url answers.
_FILE_PATH = re.compile(r"/files/(\d+)/([A-Za-z0-9_-]{32})/[^/]+$")


def _dimensions(path: Path) -> tuple[int, int] | None:
    with path.open("rb") as f:
        return images.dimensions(f)


async def uploaded_file(ctx: Context, url: str) -> dict[str, Any]:
    """The `file` event's fields of a file this server keeps for the caller's license,
    named by the URL upload_file answered (v3.x sends files as events that name it)."""
    store = ctx.services.file_store
    match = _FILE_PATH.search(urlsplit(url).path)
    stored = None
    if match is not None and int(match.group(1)) == ctx.caller.license_id:
        stored = store.find(ctx.caller.license_id, match.group(2))
    if stored is None:
        raise validation(
            f"event.url {url!r} is not a file of this license: upload it with upload_file, "
            "then send the URL it answers"
        )
    body: dict[str, Any] = {
        "name": stored.name,
        "url": url,
        "content_type": stored.content_type,
        "size": stored.size,
    }
    if stored.content_type in images.IMAGE_TYPES:
        loop = asyncio.get_running_loop()
        dims = await loop.run_in_executor(None, _dimensions, store.local_path(stored))
        if dims is not None:
            body["width"], body["height"] = dims
    return body
