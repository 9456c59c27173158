"""Where uploaded files are kept, behind a small interface (an S3-compatible store can
implement the same three methods).

Files are stored under unguessable keys (192 random bits); the original name and content
type ride in a small JSON sidecar, so serving a file needs no database.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

_KEY = re.compile(r"^[A-Za-z0-9_-]{32}$")


@dataclass
class StoredFile:
    license_id: int
    key: str
    name: str
    content_type: str
    size: int

    @property
    def path(self) -> str:
        """`<license>/<key>/<name>`: the part of the URL after the files' base URL."""
        from urllib.parse import quote

        return f"{self.license_id}/{self.key}/{quote(self.name)}"


class FileStore(Protocol):
    def save(self, license_id: int, name: str, content_type: str, data: BinaryIO) -> StoredFile: ...

    def find(self, license_id: int, key: str) -> StoredFile | None: ...

    def local_path(self, stored: StoredFile) -> Path: ...


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, license_id: int, key: str) -> Path:
        return self.root / str(license_id) / key[:2] / key

    def save(self, license_id: int, name: str, content_type: str, data: BinaryIO) -> StoredFile:
        key = secrets.token_urlsafe(24)
        folder = self._dir(license_id, key)
        folder.mkdir(parents=True, exist_ok=True)
        data.seek(0)
        blob = folder / "blob"
        with blob.open("wb") as out:
            shutil.copyfileobj(data, out, 1024 * 1024)
        stored = StoredFile(license_id, key, name, content_type, blob.stat().st_size)
        meta = {"name": name, "content_type": content_type, "size": stored.size}
        (folder / "meta.json").write_text(json.dumps(meta))
        return stored

    def find(self, license_id: int, key: str) -> StoredFile | None:
        if not _KEY.match(key):
            return None
        meta_path = self._dir(license_id, key) / "meta.json"
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            return None
        return StoredFile(license_id, key, meta["name"], meta["content_type"], meta["size"])

    def local_path(self, stored: StoredFile) -> Path:
        return self._dir(stored.license_id, stored.key) / "blob"
