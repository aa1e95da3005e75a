"""Username and display name. One username rule, applied at sign-up and on every later edit."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from apps.identity.audit import IdentityAuditEvent
from apps.identity.errors import UsernameTaken
from apps.identity.models import User
from lykos.audit.services import audit_record
from lykos.errors import InvalidRequest

# ASCII only and matched whole (`fullmatch`): `str.lower()` maps the Kelvin sign to "k" and `strip()` drops Unicode
# spaces, so a looser check would accept names the schema (which states this pattern) calls invalid.
USERNAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{2,31}$"
USERNAME_RE = re.compile(USERNAME_PATTERN)
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "root", "support", "help", "lykos", "security", "staff", "system", "api", "me"}
)


def username_normalize(username: str) -> str:
    """Check the character set and lowercase; the same rule for sign-up and profile edits. A reserved name is
    taken (by us): 409 like any other taken name, since it is well-formed."""
    if not isinstance(username, str) or not USERNAME_RE.fullmatch(username):
        raise InvalidRequest(
            "A username is 3-32 characters: a letter first, then letters, digits or underscores.",
            details={"fields": {"username": ["invalid"]}},
        )
    value = username.lower()
    if value in RESERVED_USERNAMES:
        raise UsernameTaken("This username is reserved.")
    return value


def username_available(*, username: str, except_user: User | None = None) -> bool:
    """An early, friendly answer; the case-insensitive unique constraint still decides under concurrency."""
    qs = User.objects.filter(username__iexact=username)
    if except_user is not None:
        qs = qs.exclude(pk=except_user.pk)
    return not qs.exists()


@transaction.atomic
def profile_update(*, user: User, display_name: str | None = None, username: str | None = None) -> User:
    locked = User.objects.select_for_update().get(pk=user.pk)
    old = {"display_name": locked.display_name, "username": locked.username}
    if display_name is not None:
        locked.display_name = display_name.strip()[:64]
    if username is not None:
        normalized = username_normalize(username)
        if not username_available(username=normalized, except_user=locked):
            raise UsernameTaken()
        locked.username = normalized
    try:
        with transaction.atomic():
            locked.save(update_fields=["display_name", "username"])
    except IntegrityError as exc:
        raise UsernameTaken() from exc
    new = {"display_name": locked.display_name, "username": locked.username}
    if new != old:
        audit_record(
            event_type=IdentityAuditEvent.PROFILE_UPDATED, actor=locked, subject=locked, old_values=old, new_values=new
        )
    return locked
