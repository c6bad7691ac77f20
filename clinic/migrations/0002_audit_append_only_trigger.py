"""On PostgreSQL, refuse UPDATE and DELETE of audit rows at the database, whatever code or person tries.

TRUNCATE is left to privileges (the application's role should not have it): a trigger on it would also stop the
test runner's flush between transactional tests.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION clinic_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'audit events are append-only: ' || TG_OP || ' refused on clinic_auditevent',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER clinic_auditevent_no_update_or_delete
    BEFORE UPDATE OR DELETE ON clinic_auditevent
    FOR EACH ROW EXECUTE FUNCTION clinic_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS clinic_auditevent_no_update_or_delete ON clinic_auditevent;
DROP FUNCTION IF EXISTS clinic_auditevent_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
