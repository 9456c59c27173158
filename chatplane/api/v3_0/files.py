"""send_file (both APIs) and upload_image (agents): multipart uploads up to 10 MB.

The server makes the `file` event (name, url, content_type, size, and width/height for
PNG, GIF and JPEG read from the image header). Files are served back from /files/ under
an unguessable key, as attachments unless they are raster images, and never as HTML.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.api.uploads import file_url, store_upload, text_part, upload_part
from chatplane.domain import chats
from chatplane.domain.access import CONVERSATION_WRITE
from chatplane.domain.chats import NewEvent
from chatplane.errors import validation
from chatplane.files import images
from chatplane.services import Services

actions = Actions()

# Raster images are shown inline; everything else downloads.
INLINE_TYPES = {"image/png", "image/gif", "image/jpeg", "image/webp"}


async def send_file(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    caller = ctx.caller
    chat_id = text_part(payload, "chat_id", True)
    custom_id = text_part(payload, "custom_id", False)
    upload = upload_part(payload, "file")
    assert chat_id is not None
    # Check access before keeping anything.
    await ctx.services.read(lambda tx: chats.get_chat(tx, caller, chat_id, conv="rw", lock=False))
    stored, body = await store_upload(ctx, upload)
    url = file_url(ctx, stored)
    new = NewEvent(type="file", custom_id=custom_id, body={**body, "url": url})
    await ctx.commit(lambda tx: chats.send_event(tx, caller, chat_id, new, server_made=True))
    return {"url": url}


actions("agent", "send_file", None, rtm=False, multipart=True, scopes=CONVERSATION_WRITE)(send_file)
actions("customer", "send_file", None, rtm=False, multipart=True)(send_file)


@actions("agent", "upload_image", None, rtm=False, multipart=True)
async def upload_image(ctx: Context, payload: dict[str, Any]) -> dict[str, Any]:
    upload = upload_part(payload, "image")
    if images.sniff_type(upload.file) is None:
        raise validation("payload.image must be a PNG, GIF or JPEG image")
    stored, _ = await store_upload(ctx, upload)
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
