"""Where call recordings are kept: local disk by default, a Supabase Storage bucket when
``SUPABASE_URL`` and a key are set. One protocol, two implementations.

A storage deletes only what it owns (:meth:`RecordingStorage.owns`): a file under its
recordings root (after resolving ``..`` and symbolic links), or an object of its bucket.
A recordings row is data, and data is never trusted to name a file to delete."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

import httpx

from ..config import Settings

SUPABASE_SCHEME = "supabase://"


class RecordingStorage(Protocol):
    name: str

    async def put(self, key: str, path: Path) -> str:
        """Keep the file at ``path`` under ``key``; returns its URI."""
        ...

    def owns(self, uri: str) -> bool:
        """Whether ``uri`` is one of this storage's recordings (so it may delete it)."""
        ...

    async def delete(self, uri: str) -> None:
        """Remove a kept recording it owns (a missing one is not an error)."""
        ...


class LocalStorage:
    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    async def put(self, key: str, path: Path) -> str:
        target = self.root / key
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(path.replace, target)
        return str(target)

    def owns(self, uri: str) -> bool:
        root = self.root.resolve()
        path = Path(uri).resolve()
        return path != root and path.is_relative_to(root)

    async def delete(self, uri: str) -> None:
        if not self.owns(uri):
            raise ValueError(f"{uri} is outside the recordings root {self.root}")
        await asyncio.to_thread(Path(uri).unlink, missing_ok=True)


class SupabaseStorage:
    """A Supabase Storage bucket through supabase-py (``client.storage.from_(bucket)``)."""

    name = "supabase"

    def __init__(
        self, url: str, key: str, bucket: str, *, http_client: httpx.Client | None = None
    ) -> None:
        from supabase import Client, ClientOptions, create_client

        self.url, self.bucket = url, bucket
        options = ClientOptions(httpx_client=http_client) if http_client else ClientOptions()
        self.client: Client = create_client(url, key, options)

    async def put(self, key: str, path: Path) -> str:
        data = await asyncio.to_thread(path.read_bytes)
        content_type = "audio/ogg" if path.suffix == ".ogg" else "audio/wav"
        bucket = self.client.storage.from_(self.bucket)
        await asyncio.to_thread(
            bucket.upload, key, data, {"content-type": content_type, "upsert": "true"}
        )
        await asyncio.to_thread(path.unlink, missing_ok=True)
        return f"{SUPABASE_SCHEME}{self.bucket}/{key}"

    def owns(self, uri: str) -> bool:
        prefix = f"{SUPABASE_SCHEME}{self.bucket}/"
        key = uri.removeprefix(prefix)
        return uri.startswith(prefix) and bool(key) and ".." not in key.split("/")

    async def delete(self, uri: str) -> None:
        if not self.owns(uri):
            raise ValueError(f"{uri} is not in the recordings bucket {self.bucket}")
        key = uri.removeprefix(f"{SUPABASE_SCHEME}{self.bucket}/")
        await asyncio.to_thread(self.client.storage.from_(self.bucket).remove, [key])


def storages(settings: Settings) -> dict[str, RecordingStorage]:
    """Every storage a stored recording may be in, by name (for retention)."""
    found: dict[str, RecordingStorage] = {"local": LocalStorage(settings.data_dir / "recordings")}
    chosen = build_storage(settings)
    found[chosen.name] = chosen
    return found


def build_storage(settings: Settings) -> RecordingStorage:
    if settings.supabase_url and settings.supabase_key is not None:
        key = settings.supabase_key.get_secret_value()
        return SupabaseStorage(settings.supabase_url, key, settings.recordings_bucket)
    return LocalStorage(settings.data_dir / "recordings")
