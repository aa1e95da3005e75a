"""Staff members in the admin: a password login (the only one the admin accepts), in the groups the data
migrations seed ("Fraud reviewer", "Support (read-only)")."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.test import Client

from apps.identity.models import User

PASSWORD_BACKEND = "apps.identity.backends.StaffPasswordBackend"


def staff_member(username: str, *groups: str) -> User:
    staff = User.objects.create_user(username=username, is_staff=True)
    staff.set_password(f"{username} has a long password")
    staff.save()
    staff.groups.add(*Group.objects.filter(name__in=groups))
    assert staff.groups.count() == len(groups), "a group the migrations should have seeded is missing"
    return staff


def admin_client_for(staff: User) -> Client:
    client = Client()
    client.force_login(staff, backend=PASSWORD_BACKEND)
    return client
