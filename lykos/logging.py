"""Structured JSON logs: one object per line, carrying the request id, never PII."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from lykos.context import request_id_var

# Keys that may carry personal data if someone passes them in `extra`; their values are replaced.
PII_KEYS = frozenset({"email", "phone", "phone_number", "ip", "ip_address", "address_line", "document", "otp", "code"})


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RedactPiiFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key in PII_KEYS & record.__dict__.keys():
            setattr(record, key, "[redacted]")
        # django.request passes the request itself; its repr carries the query string (a `?apikey=`, a token).
        request = record.__dict__.get("request")
        if isinstance(request, HttpRequest):
            record.request = f"{request.method} {request.path}"
        return True


class JsonFormatter(_JsonFormatter):
    # Forwards python-json-logger's own keyword arguments (LOGGING's formatter options) unchanged.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)
