"""Width and height of PNG, GIF and JPEG images, read from their headers only."""

from __future__ import annotations

import struct
from typing import BinaryIO

IMAGE_TYPES = {"image/png", "image/gif", "image/jpeg", "image/jpg"}


def dimensions(f: BinaryIO) -> tuple[int, int] | None:
    """(width, height), or None when the file is not a PNG, GIF or JPEG we can read."""
    f.seek(0)
    head = f.read(26)
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    if head[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", head[6:10])
        return width, height
    if head[:2] == b"\xff\xd8":
        return _jpeg(f)
    return None


def sniff_type(f: BinaryIO) -> str | None:
    """The image type a file's first bytes show, whatever the client claimed."""
    f.seek(0)
    head = f.read(8)
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:2] == b"\xff\xd8":
        return "image/jpeg"
    return None


# Start-of-frame markers carry the size (all SOFn except DHT, JPG and DAC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(f: BinaryIO) -> tuple[int, int] | None:
    f.seek(2)
    for _ in range(10_000):  # a bounded walk over the segments
        byte = f.read(1)
        while byte and byte != b"\xff":
            byte = f.read(1)
        while byte == b"\xff":
            byte = f.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue  # markers without a length
        if marker == 0xD9:
            return None
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if marker in _SOF:
            data = f.read(5)
            if len(data) < 5:
                return None
            height, width = struct.unpack(">HH", data[1:5])
            return width, height
        f.seek(length - 2, 1)
    return None
