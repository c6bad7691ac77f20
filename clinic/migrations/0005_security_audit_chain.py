"""The audit hash chain (clinic.audit): every existing entry gets its place, the previous hash and its own hash, in
the order written; and on PostgreSQL every role except the table's owner loses UPDATE, DELETE and TRUNCATE on the
audit table (the application's role appends, and the trigger of 0002 refuses changes even to the owner)."""

from django.db import migrations, models

TRIGGER = "clinic_auditevent_no_update_or_delete"

REVOKE = """
DO $$
DECLARE grantee_name text;
BEGIN
    FOR grantee_name IN
        SELECT DISTINCT grantee FROM information_schema.role_table_grants
        WHERE table_schema = current_schema() AND table_name = 'clinic_auditevent'
          AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
          AND grantee <> (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'clinic_auditevent'::regclass)
    LOOP
        EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON clinic_auditevent FROM ' || quote_ident(grantee_name);
    END LOOP;
END $$;
"""


def chain_existing(apps, schema_editor):
    from clinic.audit import GENESIS_HASH, entry_hash

    AuditEvent = apps.get_model("clinic", "AuditEvent")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE clinic_auditevent DISABLE TRIGGER {TRIGGER}")
    previous = GENESIS_HASH
    for sequence, event in enumerate(AuditEvent.objects.order_by("occurred_at", "id").iterator(), start=1):
        event.sequence = sequence
        event.prev_hash = previous
        event.hash = entry_hash(event)
        AuditEvent.objects.filter(pk=event.pk).update(sequence=sequence, prev_hash=previous, hash=event.hash)
        previous = event.hash
    if postgres:
        schema_editor.execute(f"ALTER TABLE clinic_auditevent ENABLE TRIGGER {TRIGGER}")


def revoke_changes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVOKE)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0004_reports_job")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="sequence",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="sequence",
            field=models.BigIntegerField(editable=False, unique=True),
        ),
        migrations.RunPython(revoke_changes, migrations.RunPython.noop),
    ]
