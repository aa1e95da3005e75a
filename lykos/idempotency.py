"""`Idempotency-Key` for writes a client may retry: the first result is stored and replayed.

The record is claimed inside the request's transaction with a unique constraint, so two concurrent requests
with one key cannot both run the write: the second waits on the first's row and then replays its answer.
A key reused with a different body is refused (422), as Stripe and the IETF draft do.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from lykos.errors import Conflict, InvalidRequest, LykosError, RuleRefused, error_body
from lykos.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
RETENTION = timedelta(hours=24)


class IdempotencyKeyReused(RuleRefused):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was used for a different request."


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    default_message = "A request with this Idempotency-Key is still being processed; retry shortly."


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str) if request.data else ""
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def idempotent(*, required: bool = False) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Decorate an APIView method. Successful and 4xx answers are stored; 5xx/503 are not (retry them)."""

    def decorator(view_method: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view_method)
        def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(HEADER)
            if not key:
                if required:
                    raise InvalidRequest(f"The {HEADER} header is required.", details={"header": HEADER})
                return view_method(self, request, *args, **kwargs)
            if not _VALID_KEY.match(key):
                raise InvalidRequest(f"{HEADER} must be 8-128 characters of [A-Za-z0-9._:-].")
            scope = f"{request.user.pk}:{request.method}:{request.path}"
            fingerprint = _fingerprint(request)
            existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if existing is not None:
                return _replay(existing, fingerprint)
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        scope=scope, key=key, fingerprint=fingerprint, expires_at=timezone.now() + RETENTION
                    )
                    try:
                        response = view_method(self, request, *args, **kwargs)
                    except LykosError as exc:
                        if exc.http_status >= 500:
                            raise
                        response = Response(error_body(exc.code, exc.message, exc.details), status=exc.http_status)
                    if response.status_code >= 500:
                        transaction.set_rollback(True)
                        return response
                    record.status_code = response.status_code
                    record.body = response.data
                    record.save(update_fields=["status_code", "body"])
                    return response
            except IntegrityError:
                # Another request with this key committed first: answer as it did.
                existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
                if existing is None:
                    raise IdempotencyInProgress() from None
                return _replay(existing, fingerprint)

        return wrapper

    return decorator


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.status_code is None:
        raise IdempotencyInProgress()
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotency_records_purge() -> int:
    """Forget answers older than the retention window (a retry a day later is a new request)."""
    return IdempotencyRecord.objects.filter(expires_at__lt=timezone.now()).delete()[0]


def idempotency_records_forget(*, user_id: str) -> int:
    """Erasure: a user's stored answers hold their data; they go before the retention window ends."""
    return IdempotencyRecord.objects.filter(scope__startswith=f"{user_id}:").delete()[0]
