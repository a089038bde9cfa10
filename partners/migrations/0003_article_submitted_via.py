"""Articles partners submitted before claims kept `submitted_via` get it from their submission row."""

from django.db import migrations


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_article a SET submitted_via = 'partner:' || s.partner_id "
            "FROM partners_partnersubmission s WHERE s.article_id = a.id AND a.submitted_via = ''"
        )


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_claim_requests"), ("claims", "0008_article_submitted_via")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
