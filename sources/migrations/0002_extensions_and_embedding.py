"""pg_trgm (required) and, where the server has it, pgvector with an embedding column on passages.

The embedding column is not a model field: the same code must run on a PostgreSQL without pgvector
(retrieval then falls back to full-text search only, and /healthz says so).
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def add_vector_column(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        cursor.execute("ALTER TABLE sources_passage ADD COLUMN IF NOT EXISTS embedding vector(384)")


def drop_vector_column(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER TABLE sources_passage DROP COLUMN IF EXISTS embedding")


class Migration(migrations.Migration):
    dependencies = [("sources", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(add_vector_column, drop_vector_column),
    ]
