"""clamd over TCP with the INSTREAM protocol: the bytes are streamed, clamd never reads our files."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from django.conf import settings

CHUNK = 64 * 1024


class ScannerUnavailable(Exception):
    """clamd could not be reached or answered something unexpected."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""


class ClamdClient:
    def __init__(self, *, host: str, port: int, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout

    def scan(self, data: bytes) -> ScanResult:
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as sock:
                sock.sendall(b"zINSTREAM\0")
                for start in range(0, len(data), CHUNK):
                    chunk = data[start : start + CHUNK]
                    sock.sendall(struct.pack("!I", len(chunk)) + chunk)
                sock.sendall(struct.pack("!I", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    part = sock.recv(4096)
                    if not part:
                        break
                    reply += part
        except OSError as exc:
            raise ScannerUnavailable(f"clamd at {self.host}:{self.port}: {exc}") from exc
        text = reply.rstrip(b"\0").decode(errors="replace").strip()
        if text.endswith("OK"):
            return ScanResult(clean=True)
        if text.endswith("FOUND"):
            return ScanResult(clean=False, signature=text.removeprefix("stream:").removesuffix("FOUND").strip())
        raise ScannerUnavailable(f"clamd answered {text!r}")


def get_scanner() -> ClamdClient | None:
    """The configured scanner, or None when CLAMAV_ADDRESS is empty (uploads are then not scanned)."""
    address = settings.CLAMAV_ADDRESS
    if not address:
        return None
    host, _, port = address.rpartition(":")
    return ClamdClient(host=host or "127.0.0.1", port=int(port), timeout=settings.CLAMAV_TIMEOUT_SECONDS)
