"""The trigger now lets exactly one UPDATE through: filling the seal (seq, prev_hash, entry_hash) of a row that
has none, with every other column unchanged. Everything else, and every DELETE, is still refused."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION lykos_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.seq IS NULL AND OLD.entry_hash IS NULL
       AND NEW.seq IS NOT NULL AND NEW.entry_hash IS NOT NULL
       AND (NEW.id, NEW.created_at, NEW.event_type, NEW.actor_type, NEW.actor_id, NEW.subject_type,
            NEW.subject_id, NEW.old_values, NEW.new_values, NEW.request_id)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.created_at, OLD.event_type, OLD.actor_type, OLD.actor_id, OLD.subject_type,
            OLD.subject_id, OLD.old_values, OLD.new_values, OLD.request_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'lykos_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""
PREVIOUS = """
CREATE OR REPLACE FUNCTION lykos_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'lykos_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [("lykos", "0004_audit_sealing")]
    operations = [migrations.RunPython(forwards, backwards)]
