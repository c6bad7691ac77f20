"""Trigram indexes for the patient search (issue 13): `clinic.patient_search.matching` and the patients API filter
with `icontains` on the family name, the given name and the MRN, which PostgreSQL runs as
`UPPER(column::text) LIKE UPPER('%q%')`: without an index, a scan of every patient. A GIN index over the same
expression with pg_trgm's operator class answers it from the index.

PostgreSQL only: SQLite (the embedded mode) has neither the extension nor GIN, and its tables are small; the
operations below do nothing there. The indexes are not in `Patient.Meta.indexes` for the same reason (a model's
indexes are made on every database), so the model state does not know them.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models.functions import Upper

SEARCHED = ("family_name", "given_name", "mrn")


def trigram_index(field: str) -> GinIndex:
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=f"patient_{field}_trgm")


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    patient = apps.get_model("clinic", "Patient")
    for field in SEARCHED:
        schema_editor.add_index(patient, trigram_index(field))


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    patient = apps.get_model("clinic", "Patient")
    for field in SEARCHED:
        schema_editor.remove_index(patient, trigram_index(field))


class Migration(migrations.Migration):
    dependencies = [("clinic", "0007_portal_invitation")]

    operations = [
        TrigramExtension(),  # CREATE EXTENSION IF NOT EXISTS pg_trgm; nothing on other databases
        migrations.RunPython(add_indexes, remove_indexes, elidable=False),
    ]
