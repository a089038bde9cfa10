"""An embedding column on claims for near-duplicate matching, where pgvector exists.

Not a model field, so the same code runs without the extension (matching then uses trigrams only).
"""

from django.db import migrations


def add_embedding(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
        if cursor.fetchone() is None:
            return
        cursor.execute("ALTER TABLE claims_claim ADD COLUMN IF NOT EXISTS embedding vector(384)")
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS claim_embedding_hnsw ON claims_claim "
            "USING hnsw (embedding vector_cosine_ops)"
        )


def drop_embedding(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER TABLE claims_claim DROP COLUMN IF EXISTS embedding")


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial"), ("sources", "0002_extensions_and_embedding")]

    operations = [migrations.RunPython(add_embedding, drop_embedding)]
