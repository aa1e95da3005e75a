"""The database itself refuses UPDATE and DELETE on the audit log (PostgreSQL only).

The hash chain detects tampering after the fact; this trigger stops the casual kind before it happens.
Someone with the rights to drop the trigger is exactly whom the chain is for.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION lykos_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'lykos_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER lykos_auditevent_append_only
    BEFORE UPDATE OR DELETE ON lykos_auditevent
    FOR EACH ROW EXECUTE FUNCTION lykos_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS lykos_auditevent_append_only ON lykos_auditevent;
DROP FUNCTION IF EXISTS lykos_audit_append_only();
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("lykos", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
