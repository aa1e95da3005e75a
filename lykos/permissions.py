"""Staff groups seeded by data migrations: each app grants its own permissions to the groups it serves.

Django creates permissions after the last migration (`post_migrate`), so a data migration that grants them on a
fresh database would find none. These helpers create the content type and permission rows a grant needs, with
the names Django would give them, from the historical models of the migration's state; Django's own pass then
finds them present.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: One grant: (app label, model name, permission codename), e.g. ("security", "reviewcase", "freeze_account").
Grant = tuple[str, str, str]


def _permission(apps: Any, app_label: str, model_name: str, codename: str) -> Any:
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    opts = apps.get_model(app_label, model_name)._meta
    names = dict(opts.permissions)
    for action in opts.default_permissions:
        names[f"{action}_{opts.model_name}"] = f"Can {action} {opts.verbose_name_raw}"
    content_type, _ = content_type_model.objects.get_or_create(app_label=app_label, model=opts.model_name)
    permission, _ = permission_model.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": names[codename]}
    )
    return permission


def groups_grant(apps: Any, grants: Mapping[str, Iterable[Grant]]) -> None:
    """Give each named group (created if missing) the listed permissions."""
    group_model = apps.get_model("auth", "Group")
    for group_name, wanted in grants.items():
        group, _ = group_model.objects.get_or_create(name=group_name)
        group.permissions.add(*(_permission(apps, *grant) for grant in wanted))


def groups_revoke(apps: Any, grants: Mapping[str, Iterable[Grant]], *, delete_empty: bool = False) -> None:
    """Undo `groups_grant` (a migration's reverse); with `delete_empty`, drop groups left without permissions."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, wanted in grants.items():
        group = group_model.objects.filter(name=group_name).first()
        if group is None:
            continue
        for app_label, _model, codename in wanted:
            group.permissions.remove(
                *permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        if delete_empty and not group.permissions.exists():
            group.delete()
