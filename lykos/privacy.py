"""The privacy registry: every model says whose data it holds, what of it a person gets in their export, and
what erasure does to it.

Each installed app declares its models in its `privacy` module (autodiscovered, like `audit`), as a list
`PRIVACY` of `PersonalData` / `NotPersonal` entries. The registry is the one answer to three questions:

- the export (`privacy_export`): a person's own rows only, found through the declared owner field, never by
  walking every foreign key to the user (that walk handed a referrer every referee's row);
- the audit log (`privacy_owner_of`): whose key seals an event's values;
- completeness (`privacy_undeclared`): a model added later without a declaration fails the erasure test, so
  nobody can add a table of personal data and forget to erase it.

Erasure itself is done by each app's receiver of identity's `user_erasing` signal; the declaration says what
that receiver does (`Erasure`) and the erasure test holds every table to it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models


class Erasure(models.TextChoices):
    DELETE = "delete", "rows are deleted"
    ANONYMISE = "anonymise", "personal fields are blanked, the row stays"
    SHRED = "shred", "values are sealed under the owner's key, destroyed at erasure"
    KEEP = "keep", "kept as it is (the reason says why it holds nothing personal)"


@dataclass(frozen=True)
class PersonalData:
    """Rows that belong to one person. `owner` is the lookup from the row to that person (`"user"`,
    `"session__user"`; `"self"` on the user model); `export` the fields they get (None: every concrete field that
    is neither a secret, binary, nor a key to another person); `anonymised` the fields erasure blanks. `owner=None`:
    linked to the person by id rather than a foreign key, and not exported row by row."""

    model: str
    owner: str | None
    erasure: Erasure
    export: tuple[str, ...] | None = None
    anonymised: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class NotPersonal:
    """A model that holds no one's personal data; `reason` says why (reviewed, not assumed)."""

    model: str
    reason: str


Declaration = PersonalData | NotPersonal

# Secrets and lookup keys are not the person's data: exporting them would only widen what can leak.
SECRET_FIELDS = frozenset(
    {
        "password",
        "token",
        "token_hash",
        "token_checksum",
        "key_hash",
        "code",
        "code_hash",
        "code_challenge",
        "link_token_hash",
        "client_secret",
        "value_index",
        "archive",
        "nonce",
        "jti",
        "incoming_key",
        "stored_key",
        "device_code",
        "user_code",
        "session_key",
        "session_data",
    }
)


@dataclass
class _Registry:
    by_label: dict[str, Declaration] = field(default_factory=dict)


@functools.cache
def _registry() -> _Registry:
    registry = _Registry()
    for config in apps.get_app_configs():
        module = _privacy_module(config.name)
        for declaration in getattr(module, "PRIVACY", ()) if module else ():
            label = apps.get_model(declaration.model)._meta.label_lower  # LookupError: a typo fails loudly
            if label in registry.by_label:
                raise ValueError(f"privacy: {label} is declared twice")
            registry.by_label[label] = declaration
    return registry


def _privacy_module(app_name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(f"{app_name}.privacy")
    except ModuleNotFoundError as exc:
        if exc.name != f"{app_name}.privacy":
            raise
        return None


def privacy_declarations() -> dict[str, Declaration]:
    return dict(_registry().by_label)


def privacy_undeclared() -> list[str]:
    """Models (auto-created many-to-many tables included) that no app has declared."""
    declared = _registry().by_label
    return sorted(
        model._meta.label_lower
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label_lower not in declared and model._meta.managed
    )


def _personal(model: type[models.Model]) -> PersonalData | None:
    declaration = _registry().by_label.get(model._meta.label_lower)
    return declaration if isinstance(declaration, PersonalData) else None


def privacy_owner_of(instance: models.Model) -> str | None:
    """The id of the person a row belongs to, per its declaration (None: nobody's, or not declared)."""
    user_model = get_user_model()
    if isinstance(instance, user_model):
        return str(instance.pk)
    declaration = _personal(type(instance))
    if declaration is None or declaration.owner in (None, "self"):
        return None
    target: Any = instance
    *path, last = declaration.owner.split("__")
    for step in path:
        target = getattr(target, step, None)
        if target is None:
            return None
    owner_field = target._meta.get_field(last)
    value = getattr(target, owner_field.attname if isinstance(owner_field, models.Field) else last)
    return None if value is None else str(value)


def _export_fields(model: type[models.Model], declaration: PersonalData) -> list[models.Field[Any, Any]]:
    user_model = get_user_model()
    concrete = {f.name: f for f in model._meta.concrete_fields}
    if declaration.export is not None:
        return [concrete[name] for name in declaration.export]
    owner_root = (declaration.owner or "").split("__")[0]
    return [
        f
        for f in concrete.values()
        if f.name not in SECRET_FIELDS
        and not isinstance(f, models.BinaryField)
        # A key to the user model other than the owner names another person: not this person's data.
        and not (f.is_relation and f.related_model is user_model and f.name != owner_root)
    ]


def _row(obj: models.Model, fields: Iterable[models.Field[Any, Any]]) -> dict[str, Any]:
    from lykos.crypto import DecryptionError

    row: dict[str, Any] = {}
    for f in fields:
        try:
            row[f.attname] = getattr(obj, f.attname)
        except DecryptionError:
            row[f.attname] = None
    return row


def privacy_export(*, user: models.Model) -> dict[str, list[dict[str, Any]]]:
    """Every declared model's rows owned by `user`, with the declared fields, by model label."""
    found: dict[str, list[dict[str, Any]]] = {}
    for label, declaration in sorted(_registry().by_label.items()):
        if not isinstance(declaration, PersonalData) or declaration.export == () or declaration.owner is None:
            continue
        model = apps.get_model(label)
        lookup = {"pk": user.pk} if declaration.owner == "self" else {declaration.owner: user}
        fields = _export_fields(model, declaration)
        rows = [_row(obj, fields) for obj in model._default_manager.filter(**lookup).order_by("pk")]
        if rows:
            found[label] = rows
    return found


# --- the platform's own declarations: Django's contrib apps, Celery beat, and lykos's models ----------------------

PRIVACY: list[Declaration] = [
    PersonalData(
        "admin.LogEntry",
        owner="user",
        erasure=Erasure.ANONYMISE,
        export=(),
        anonymised=("object_repr", "change_message"),
        reason="Staff actions in the admin: the author is staff, not exported. Entries about an erased user lose"
        " the object's printed name and the change message (identity's erasure).",
    ),
    NotPersonal("auth.Permission", "Permission definitions."),
    NotPersonal("auth.Group", "Staff groups."),
    NotPersonal("auth.Group_permissions", "Group to permission links."),
    NotPersonal("contenttypes.ContentType", "Model registry."),
    PersonalData(
        "sessions.Session",
        owner=None,
        erasure=Erasure.KEEP,
        export=(),
        reason="Browser sessions of the OAuth consent pages: a signed user id only, expiring; erasure deactivates"
        " the user, so a stale session authenticates nothing.",
    ),
    NotPersonal("django_celery_beat.SolarSchedule", "Beat schedule."),
    NotPersonal("django_celery_beat.IntervalSchedule", "Beat schedule."),
    NotPersonal("django_celery_beat.ClockedSchedule", "Beat schedule."),
    NotPersonal("django_celery_beat.CrontabSchedule", "Beat schedule."),
    NotPersonal("django_celery_beat.PeriodicTasks", "Beat schedule."),
    NotPersonal("django_celery_beat.PeriodicTask", "Beat schedule."),
    PersonalData(
        "lykos.AuditEvent",
        owner=None,
        erasure=Erasure.SHRED,
        export=(),  # exported by the social profile's archive, decrypted, through lykos.audit.services
        reason="Append-only and hash-chained: an event's values are sealed under the key of the person it is"
        " about, so erasure leaves the chain intact and the values unreadable.",
    ),
    PersonalData(
        "lykos.IdempotencyRecord",
        owner=None,
        erasure=Erasure.DELETE,
        export=(),
        reason="Stored API answers for retries (a day); the user's are deleted at erasure (identity).",
    ),
]
