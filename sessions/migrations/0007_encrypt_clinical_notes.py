"""Encrypt at rest the free text named below (docs/security.md, "Encryption at rest"): the rows that exist are
encrypted in place first, while the columns are still plain text, then the fields become encrypted ones (the column
stays `text`). Reversible: the reverse decrypts them again. `rotate_encryption_keys` covers these fields from then on.
"""

from django.db import migrations

import clinic.encryption

FIELDS = {"adverseevent": ["action_taken", "notes"]}


def encrypt_rows(apps, schema_editor):
    for model_name, names in FIELDS.items():
        clinic.encryption.encrypt_existing(apps.get_model("treatment_sessions", model_name), names)


def decrypt_rows(apps, schema_editor):
    for model_name, names in FIELDS.items():
        clinic.encryption.decrypt_existing(apps.get_model("treatment_sessions", model_name), names)


class Migration(migrations.Migration):
    dependencies = [
        ("treatment_sessions", "0006_appointment_request"),
    ]

    operations = [
        migrations.RunPython(encrypt_rows, decrypt_rows),
        migrations.AlterField(
            model_name="adverseevent",
            name="action_taken",
            field=clinic.encryption.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name="adverseevent",
            name="notes",
            field=clinic.encryption.EncryptedTextField(blank=True),
        ),
    ]
