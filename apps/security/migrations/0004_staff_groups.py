"""Seed the "Fraud reviewer" and "Support (read-only)" staff groups with what the security admin needs.

Fraud reviewers work the queue (decide, assign, freeze, manage the threat lists); support staff may read it and
the audit trail but change nothing. The social profile app adds its identity-review permissions to the same groups.
"""

from django.db import migrations

from lykos.permissions import groups_grant, groups_revoke

READ = [
    ("security", "reviewcase", "view_reviewcase"),
    ("security", "reviewcaseevent", "view_reviewcaseevent"),
    ("security", "accountfreeze", "view_accountfreeze"),
    ("security", "transactionsimulation", "view_transactionsimulation"),
    ("security", "threatlistentry", "view_threatlistentry"),
    ("security", "knownaddress", "view_knownaddress"),
    ("identity", "user", "view_user"),
    ("lykos", "auditevent", "view_auditevent"),
]
GRANTS = {
    "Fraud reviewer": [
        *READ,
        ("security", "reviewcase", "review_case"),
        ("security", "reviewcase", "freeze_account"),
        ("security", "threatlistentry", "manage_threat_lists"),
    ],
    "Support (read-only)": READ,
}


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    groups_grant(apps, GRANTS)


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    groups_revoke(apps, GRANTS, delete_empty=True)


class Migration(migrations.Migration):
    dependencies = [
        ("security", "0003_review_permissions"),
        ("identity", "0001_initial"),
        ("lykos", "0005_audit_trigger_allows_sealing"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
