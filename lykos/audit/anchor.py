"""Audit head anchoring: the chain's newest hash, published where whoever can edit the database cannot.

The hash chain shows an edited or removed row by the break it leaves behind; it cannot show that the newest
rows were cut off, because what remains is still a valid chain. So the head (`seq`, `entry_hash`) is published
periodically to an external anchor: an S3 object written in Object Lock COMPLIANCE mode, which nobody (not
even the bucket's owner) can overwrite or delete before its retention ends. `audit_verify` then checks that
the anchored row is still in the chain with the same hash. Rows newer than the latest anchor are protected by
the next one: the publishing interval is the window of undetectable truncation.

One interface (`AnchorStore`), an S3 implementation for deployments and tests (the moto server speaks Object
Lock), and a file store for `make run`, where there is no S3 (it shows the mechanism; it protects nothing).
"""

from __future__ import annotations

import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from lykos.audit.models import AuditEvent
from lykos.s3 import s3_client

logger = logging.getLogger(__name__)
T = TypeVar("T")


class AnchorError(Exception):
    """The anchor store refused or failed an operation (unreachable, no permission, not object-locked)."""


@dataclass(frozen=True)
class AuditAnchor:
    """One published head: the chain held row `seq` with hash `entry_hash` at `anchored_at`."""

    seq: int
    entry_hash: str
    anchored_at: datetime

    def to_json(self) -> bytes:
        body = {"seq": self.seq, "entry_hash": self.entry_hash, "anchored_at": self.anchored_at.isoformat()}
        return json.dumps(body, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> AuditAnchor:
        try:
            body = json.loads(raw)
            return cls(
                seq=int(body["seq"]),
                entry_hash=str(body["entry_hash"]),
                anchored_at=datetime.fromisoformat(body["anchored_at"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorError("An anchor object is not readable.") from exc


class AnchorStore(ABC):
    @abstractmethod
    def publish(self, anchor: AuditAnchor) -> None:
        """Write the anchor so that it can neither be changed nor removed."""

    @abstractmethod
    def latest(self) -> AuditAnchor | None:
        """The anchor with the highest `seq` ever published (hidden or "deleted" ones included)."""


def _anchor_key(prefix: str, seq: int) -> str:
    # Zero-padded, so key order is seq order.
    return f"{prefix.rstrip('/')}/{seq:020d}.json"


class S3ObjectLockAnchorStore(AnchorStore):
    """Each anchor is a new object, written in COMPLIANCE mode with a retention date.

    `latest` lists object *versions*, not objects: deleting a locked object only adds a delete marker, and a
    marker must not hide an anchor from the verifier.
    """

    def __init__(
        self, *, bucket: str, prefix: str, region: str, retention_days: int, endpoint_url: str | None = None
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.retention = timedelta(days=retention_days)
        self._lock_checked = False
        self.client = s3_client(region=region, endpoint_url=endpoint_url, read_timeout=15)

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(*args, **kwargs)
        except (BotoCoreError, ClientError) as exc:
            raise AnchorError(f"S3 anchor store: {exc}") from exc

    def ensure_locked_bucket(self) -> None:
        """Create the bucket with Object Lock if it is missing; refuse a bucket without it (anchors there
        could be deleted, which would make them worthless)."""
        from botocore.exceptions import ClientError

        try:
            config = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in {"NoSuchBucket", "404"}:
                raise AnchorError(f"S3 anchor bucket {self.bucket!r} has no Object Lock: {exc}") from exc
            self._call(self.client.create_bucket, Bucket=self.bucket, ObjectLockEnabledForBucket=True)
            return
        if config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
            raise AnchorError(f"S3 anchor bucket {self.bucket!r} has no Object Lock.")

    def publish(self, anchor: AuditAnchor) -> None:
        if not self._lock_checked:  # once per process: a misconfigured bucket must fail loudly, not anchor
            self.ensure_locked_bucket()
            self._lock_checked = True
        self._call(
            self.client.put_object,
            Bucket=self.bucket,
            Key=_anchor_key(self.prefix, anchor.seq),
            Body=anchor.to_json(),
            ContentType="application/json",
            ObjectLockMode="COMPLIANCE",
            ObjectLockRetainUntilDate=anchor.anchored_at + self.retention,
        )

    def latest(self) -> AuditAnchor | None:
        newest: tuple[str, str] | None = None
        paginator = self.client.get_paginator("list_object_versions")
        pages = self._call(lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=self.prefix.rstrip("/") + "/")))
        for page in pages:
            for version in page.get("Versions", []):
                candidate = (str(version["Key"]), str(version["VersionId"]))
                if newest is None or candidate[0] > newest[0]:
                    newest = candidate
        if newest is None:
            return None
        body = self._call(self.client.get_object, Bucket=self.bucket, Key=newest[0], VersionId=newest[1])
        return AuditAnchor.from_json(cast(bytes, body["Body"].read()))


class FileAnchorStore(AnchorStore):
    """Anchors appended to a local file: the `make run` stand-in. Not tamper-proof; production refuses it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def publish(self, anchor: AuditAnchor) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            handle.write(anchor.to_json() + b"\n")

    def latest(self) -> AuditAnchor | None:
        if not self.path.exists():
            return None
        anchors = [AuditAnchor.from_json(line) for line in self.path.read_bytes().splitlines() if line.strip()]
        return max(anchors, key=lambda a: a.seq, default=None)


@lru_cache(maxsize=1)
def get_anchor_store() -> AnchorStore | None:
    """The configured anchor store, or None when anchoring is off (`AUDIT_ANCHOR_BACKEND` empty)."""
    backend = settings.AUDIT_ANCHOR_BACKEND
    if not backend:
        return None
    if backend == "s3":
        if not settings.AUDIT_ANCHOR_S3_BUCKET:
            raise ImproperlyConfigured("AUDIT_ANCHOR_BACKEND=s3 needs AUDIT_ANCHOR_S3_BUCKET.")
        return S3ObjectLockAnchorStore(
            bucket=settings.AUDIT_ANCHOR_S3_BUCKET,
            prefix=settings.AUDIT_ANCHOR_S3_PREFIX,
            region=settings.AUDIT_ANCHOR_S3_REGION,
            retention_days=settings.AUDIT_ANCHOR_RETENTION_DAYS,
            endpoint_url=settings.AUDIT_ANCHOR_S3_ENDPOINT_URL,
        )
    if backend == "file":
        return FileAnchorStore(settings.AUDIT_ANCHOR_FILE)
    raise ImproperlyConfigured(f"Unknown AUDIT_ANCHOR_BACKEND {backend!r}: use '', 's3' or 'file'.")


@receiver(setting_changed)
def _reset_store(*, setting: str, **_: object) -> None:
    if setting.startswith("AUDIT_ANCHOR_"):
        get_anchor_store.cache_clear()


# --- services ---------------------------------------------------------------------------------------------


def _head() -> tuple[int, str] | None:
    row = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", "entry_hash").first()
    return (cast(int, row[0]), cast(str, row[1])) if row else None


def audit_anchor_problem(anchor: AuditAnchor) -> str | None:
    """What is wrong with the chain as seen from `anchor`, or None when the anchored row is intact."""
    anchored = AuditEvent.objects.filter(seq=anchor.seq).values_list("entry_hash", flat=True).first()
    if anchored is None:
        head = _head()
        ends = f"seq {head[0]}" if head else "no sealed rows"
        return (
            f"audit rows were removed from the end of the chain: the anchor of {anchor.anchored_at.isoformat()}"
            f" names seq {anchor.seq}, the chain now ends at {ends}"
        )
    if anchored != anchor.entry_hash:
        return (
            f"the chain was rewritten: seq {anchor.seq} hashes to {anchored}, the anchor of"
            f" {anchor.anchored_at.isoformat()} says {anchor.entry_hash}"
        )
    return None


def audit_anchor_check(*, store: AnchorStore | None = None) -> tuple[AuditAnchor | None, str | None]:
    """The latest anchor and the problem it reveals (None: intact, or anchoring off / nothing anchored yet)."""
    store = store or get_anchor_store()
    if store is None:
        return None, None
    anchor = store.latest()
    return anchor, audit_anchor_problem(anchor) if anchor else None


def audit_anchor_publish(*, store: AnchorStore | None = None) -> AuditAnchor | None:
    """Publish the current head if it moved past the latest anchor. Returns the new anchor, or None.

    Refuses (AnchorError) when the chain no longer holds the latest anchor's row: anchoring a truncated chain
    would bless the truncation. Safe to run twice: an unchanged head publishes nothing.
    """
    from lykos.audit.services import audit_seal

    store = store or get_anchor_store()
    if store is None:
        return None
    audit_seal()
    anchor, problem = audit_anchor_check(store=store)
    if problem:
        raise AnchorError(f"Not anchoring over a damaged chain: {problem}")
    head = _head()
    if head is None or (anchor is not None and head[0] <= anchor.seq):
        return None
    published = AuditAnchor(seq=head[0], entry_hash=head[1], anchored_at=timezone.now())
    store.publish(published)
    logger.info("audit head anchored", extra={"seq": published.seq, "entry_hash": published.entry_hash})
    return published
