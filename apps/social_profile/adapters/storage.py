"""Object storage for media: S3 (boto3) in production and tests, the local filesystem for `make run`.

Uploads go straight from the client to storage with a presigned POST restricted to one key, one content type
and a size range. Those restrictions are only as good as the store enforcing them (the test S3 server does
not), so the processing task checks size and type again after the upload.
"""

from __future__ import annotations

import functools
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from lykos.s3 import s3_client


class StorageError(Exception):
    """The store refused or failed an operation."""


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str


class MediaStorage(ABC):
    @abstractmethod
    def presigned_post(self, *, key: str, content_type: str, max_bytes: int, expires: int) -> dict[str, Any]:
        """`{"url": ..., "fields": {...}}` for a multipart POST of one file to `key`."""

    @abstractmethod
    def head(self, key: str) -> StoredObject | None: ...

    @abstractmethod
    def read(self, key: str, *, max_bytes: int) -> bytes: ...

    @abstractmethod
    def write(self, key: str, data: bytes, *, content_type: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def presigned_get(self, key: str, *, expires: int) -> str: ...


class S3MediaStorage(MediaStorage):
    def __init__(self, *, bucket: str, region: str, endpoint_url: str | None = None) -> None:
        self.bucket = bucket
        self.client = s3_client(region=region, endpoint_url=endpoint_url, read_timeout=30)

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(*args, **kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(str(exc)) from exc

    def presigned_post(self, *, key: str, content_type: str, max_bytes: int, expires: int) -> dict[str, Any]:
        post: dict[str, Any] = self._call(
            self.client.generate_presigned_post,
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[
                {"key": key},
                {"Content-Type": content_type},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires,
        )
        return post

    def head(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise StorageError(str(exc)) from exc
        return StoredObject(size=int(response["ContentLength"]), content_type=response.get("ContentType", ""))

    def read(self, key: str, *, max_bytes: int) -> bytes:
        response = self._call(self.client.get_object, Bucket=self.bucket, Key=key, Range=f"bytes=0-{max_bytes}")
        data: bytes = response["Body"].read(max_bytes + 1)
        return data

    def write(self, key: str, data: bytes, *, content_type: str) -> None:
        self._call(self.client.put_object, Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def delete(self, key: str) -> None:
        self._call(self.client.delete_object, Bucket=self.bucket, Key=key)

    def presigned_get(self, key: str, *, expires: int) -> str:
        url: str = self._call(
            self.client.generate_presigned_url,
            "get_object",
            Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=expires,
        )
        return url


LOCAL_UPLOAD_SALT = "social_profile.local-upload"
LOCAL_DOWNLOAD_SALT = "social_profile.local-download"


class LocalMediaStorage(MediaStorage):
    """Files under a directory. The "presigned" POST is a signed token for our own upload endpoint."""

    def __init__(self, *, root: Path, base_url: str) -> None:
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise StorageError("Key escapes the storage root.")
        return path

    def presigned_post(self, *, key: str, content_type: str, max_bytes: int, expires: int) -> dict[str, Any]:
        token = signing.dumps({"key": key, "ct": content_type, "max": max_bytes}, salt=LOCAL_UPLOAD_SALT)
        return {"url": f"{self.base_url}/media-upload", "fields": {"token": token}}  # expiry: max_age on loads

    def head(self, key: str) -> StoredObject | None:
        path = self._path(key)
        if not path.exists():
            return None
        meta = path.with_name(path.name + ".type")
        return StoredObject(size=path.stat().st_size, content_type=meta.read_text() if meta.exists() else "")

    def read(self, key: str, *, max_bytes: int) -> bytes:
        with open(self._path(key), "rb") as handle:
            return handle.read(max_bytes + 1)

    def write(self, key: str, data: bytes, *, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.with_name(path.name + ".type").write_text(content_type)

    def delete(self, key: str) -> None:
        path = self._path(key)
        for candidate in (path, path.with_name(path.name + ".type")):
            if candidate.exists():
                os.unlink(candidate)

    def presigned_get(self, key: str, *, expires: int) -> str:
        token = signing.dumps({"key": key}, salt=LOCAL_DOWNLOAD_SALT)
        return f"{self.base_url}/media-file/{token}"  # expiry: max_age on loads


@functools.lru_cache(maxsize=1)
def get_media_storage() -> MediaStorage:
    backend = settings.MEDIA_STORAGE_BACKEND
    if backend == "s3":
        if not settings.MEDIA_S3_BUCKET:
            raise ImproperlyConfigured("MEDIA_STORAGE_BACKEND=s3 needs MEDIA_S3_BUCKET.")
        return S3MediaStorage(
            bucket=settings.MEDIA_S3_BUCKET,
            region=settings.MEDIA_S3_REGION,
            endpoint_url=settings.MEDIA_S3_ENDPOINT_URL or None,
        )
    if backend == "local":
        return LocalMediaStorage(root=Path(settings.MEDIA_ROOT), base_url=f"{settings.PUBLIC_BASE_URL}/api/v1/media")
    raise ImproperlyConfigured(f"Unknown MEDIA_STORAGE_BACKEND {backend!r}: use 'local' or 's3'.")


@receiver(setting_changed)
def _reset_storage(*, setting: str, **_: object) -> None:
    if setting.startswith(("MEDIA_", "PUBLIC_BASE_URL")):
        get_media_storage.cache_clear()
