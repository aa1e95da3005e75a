"""Seed the system policy that pays for device owner changes (apps.paymaster.services.revocation)."""

from django.db import migrations

SYSTEM_POLICY = "System: device owner changes"


def seed_owner_changes_policy(apps, schema_editor):  # type: ignore[no-untyped-def]
    """The system policy that pays for removing a revoked passkey on every chain. No budget or op count: what a
    revocation costs is bounded by the passkey ceremony it needs, and a frozen account must still be able to
    lock out a stolen device (so neither freezes nor risk verdicts refuse it)."""
    policy_model = apps.get_model("paymaster", "SponsorshipPolicy")
    policy_model.objects.get_or_create(
        name=SYSTEM_POLICY,
        defaults={
            "kind": "owner_changes",
            "priority": 0,
            "deny_frozen_accounts": False,
            "deny_risky_operations": False,
        },
    )


def unseed_owner_changes_policy(apps, schema_editor):  # type: ignore[no-untyped-def]
    policy_model = apps.get_model("paymaster", "SponsorshipPolicy")
    policy_model.objects.filter(name=SYSTEM_POLICY, kind="owner_changes", ledger__isnull=True).delete()



class Migration(migrations.Migration):
    dependencies = [
        ("paymaster", "0004_policy_kind"),
    ]

    operations = [
        migrations.RunPython(seed_owner_changes_policy, unseed_owner_changes_policy),
    ]
