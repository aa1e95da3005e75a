"""Per-request context that logs and audit rows read without being handed the request."""

from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("request_id", default="")
