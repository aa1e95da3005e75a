"""The API's JSON parser: DRF's, refusing NUL characters.

PostgreSQL cannot store U+0000 in text or jsonb, so a body carrying one (`"\\u0000"` in any string or key) failed
only at the INSERT, as a server error. No field of the API has a use for it: the body is refused as malformed
(400 `malformed_request`), before any view runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            raise ParseError("JSON parse error - NUL characters (\\u0000) are not accepted.")
        return data
