"""The audit log's vocabulary: every event type is declared once, by the app that records it.

Each app subclasses `AuditEventType` (a `TextChoices` with no members of its own) in its `audit.py`, e.g.::

    class IdentityAuditEvent(AuditEventType):
        USER_REGISTERED = "user.registered", "A user signed up"

`audit_record` accepts only members of such a class, so an event name cannot be mistyped, built with an f-string,
or invented at a call site, and the admin and the export can list every type with its label. "Such a class" means
declared in an installed app's `audit` module: those are the modules `audit_event_types()` reads, so whatever can
be recorded can also be listed.
"""

from __future__ import annotations

import functools

from django.apps import apps
from django.db import models
from django.utils.module_loading import autodiscover_modules


class AuditEventType(models.TextChoices):
    """Base of every app's audit event choices (an enum with no members can be subclassed)."""


@functools.cache
def audit_event_classes() -> tuple[type[AuditEventType], ...]:
    """The declared event type classes: the `AuditEventType` subclasses in installed apps' `audit` modules
    (imported here, so the list does not depend on what happened to be imported before)."""
    autodiscover_modules("audit")
    declaring = {f"{config.name}.audit" for config in apps.get_app_configs()}
    found: list[type[AuditEventType]] = []
    pending = list(AuditEventType.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__ in declaring:
            found.append(cls)
    return tuple(sorted(found, key=lambda cls: cls.__qualname__))


def audit_event_types() -> dict[str, str]:
    """Every declared event type and its label, across the installed apps. A value declared twice is an error:
    two apps would share one name in the log."""
    found: dict[str, str] = {}
    for cls in audit_event_classes():
        for member in cls:
            if member.value in found:
                raise ValueError(f"audit event type {member.value!r} is declared twice")
            found[member.value] = str(member.label)
    return found


def audit_event_check(event_type: object) -> None:
    """Refuse what is not a declared event type: a string (however spelled) is a TypeError, a member of a class
    outside the apps' `audit` modules a ValueError."""
    if not isinstance(event_type, AuditEventType):
        raise TypeError(
            f"audit event types are members of an app's AuditEventType class, not {type(event_type).__name__}"
            f" {event_type!r}"
        )
    if type(event_type) not in audit_event_classes():
        raise ValueError(
            f"{type(event_type).__qualname__} ({type(event_type).__module__}) is not declared in an installed app's"
            " audit module"
        )
