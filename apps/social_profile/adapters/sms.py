"""Sending SMS: one interface, a console sender for `make run`, an HTTP provider client, an in-memory outbox.

The HTTP sender speaks a generic JSON API (`POST {to, body}` with a bearer key), the shape most SMS gateways
accept; a provider with another shape gets its own class behind the same interface.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The provider refused or could not be reached."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class SmsSender(ABC):
    @abstractmethod
    def send(self, *, to: str, body: str) -> None: ...


class ConsoleSmsSender(SmsSender):
    """Development: print the message (the number masked) so a developer can read the code."""

    def send(self, *, to: str, body: str) -> None:
        print(f"[sms to ...{to[-2:]}] {body}")


# The in-memory outbox, like Django's locmem email backend: tests read it.
outbox: list[SmsMessage] = []


class LocmemSmsSender(SmsSender):
    def send(self, *, to: str, body: str) -> None:
        outbox.append(SmsMessage(to=to, body=body))


class HttpSmsSender(SmsSender):
    def __init__(self, *, url: str, token: str, timeout: float = 5.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, *, to: str, body: str) -> None:
        try:
            response = self.session.post(
                self.url,
                json={"to": to, "body": body},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise SmsError(f"SMS provider unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise SmsError(f"SMS provider refused the message: HTTP {response.status_code}")


def get_sms_sender() -> SmsSender:
    backend = settings.SMS_BACKEND
    if backend == "console":
        return ConsoleSmsSender()
    if backend == "locmem":
        return LocmemSmsSender()
    if backend == "http":
        missing = [name for name in ("SMS_HTTP_URL", "SMS_HTTP_TOKEN") if not getattr(settings, name)]
        if missing:
            raise ImproperlyConfigured(f"SMS_BACKEND=http needs {', '.join(missing)}.")
        return HttpSmsSender(
            url=settings.SMS_HTTP_URL, token=settings.SMS_HTTP_TOKEN, timeout=settings.SMS_HTTP_TIMEOUT_SECONDS
        )
    raise ImproperlyConfigured(f"Unknown SMS_BACKEND {backend!r}: use 'console', 'http' or 'locmem'.")
