"""Approximate location of an IP address, from the IP-to-country table bundled with `geoip2fast`.

For what a person reads in a security alert ("a new passkey was added near Germany"): no third-party lookup
(the address never leaves the server), country precision only, and never an error — an address the table does
not place reads as such.
"""

from __future__ import annotations

import functools
import ipaddress
import logging

from geoip2fast import GeoIP2Fast  # type: ignore[import-untyped]  # ships no type information

logger = logging.getLogger(__name__)

UNKNOWN = "an unknown location"
PRIVATE = "a private network"


@functools.cache
def _table() -> GeoIP2Fast:
    """Loaded once per process (about half a second): the table is read-only."""
    return GeoIP2Fast()


def approximate_location(ip_address: str | None) -> str:
    """The country an address belongs to ("United Kingdom"), or a phrase saying we cannot tell."""
    if not ip_address:
        return UNKNOWN
    try:
        parsed = ipaddress.ip_address(ip_address)
    except ValueError:
        return UNKNOWN
    if parsed.is_private or parsed.is_loopback or parsed.is_link_local:
        return PRIVATE
    try:
        found = _table().lookup(str(parsed))
    except Exception:  # a broken table must not stop the alert that reports the location
        logger.exception("geoip lookup failed")
        return UNKNOWN
    name = getattr(found, "country_name", "") or ""
    code = getattr(found, "country_code", "") or ""
    if not name or code in ("", "--") or getattr(found, "is_private", False):
        return UNKNOWN
    return str(name)
