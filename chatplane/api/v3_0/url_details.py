"""get_url_details: the title, description and image of a web page, for link previews."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Annotated, Any

from msgspec import Meta, Struct

from chatplane.api.dispatch import Context
from chatplane.api.registry import Actions
from chatplane.urlfetch import Limits, fetch

actions = Actions()


class GetUrlDetails(Struct, kw_only=True):
    url: Annotated[str, Meta(min_length=1, max_length=2048)]


class _Head(HTMLParser):
    """Collects <title> and the description/image <meta> tags of a page's head."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.meta: dict[str, str] = {}
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            key = (a.get("property") or a.get("name") or "").lower()
            if key and "content" in a:
                self.meta.setdefault(key, a["content"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@actions("customer", "get_url_details", GetUrlDetails)
async def get_url_details(ctx: Context, p: GetUrlDetails) -> dict[str, Any]:
    settings = ctx.services.settings
    limits = Limits(allow_private=settings.url_details_allow_private)
    final_url, body, _ctype = await fetch(p.url, limits)
    head = _Head()
    head.feed(body.decode("utf-8", errors="replace"))
    meta = head.meta
    out: dict[str, Any] = {
        "title": (meta.get("og:title") or head.title).strip(),
        "description": (meta.get("og:description") or meta.get("description") or "").strip(),
        "url": final_url,
    }
    image = meta.get("og:image") or meta.get("twitter:image")
    if image:
        out["image_url"] = image
        width, height = _int(meta.get("og:image:width")), _int(meta.get("og:image:height"))
        if width and height:
            out["image_width"], out["image_height"] = width, height
    return out
