from django.db import migrations, models


def drop_open_duplicates(apps, schema_editor):
    """Before one card per snapshot, a claim could get several windows of one page. Keep, per claim and
    snapshot, every row a reviewer decided on and, when none was decided, the best-scored suggestion;
    the other undecided suggestions go (nobody acted on them, and the kept row shows the same page)."""
    Evidence = apps.get_model("claims", "Evidence")
    kept: dict[tuple[int, int], bool] = {}  # (claim, snapshot) -> a row there is kept
    doomed = []
    rows = Evidence.objects.order_by(
        "claim_id", "snapshot_id", "-is_confirmed", "-is_rejected", "-score", "id"
    )
    for row in rows.values("id", "claim_id", "snapshot_id", "is_confirmed", "is_rejected").iterator():
        key = (row["claim_id"], row["snapshot_id"])
        decided = row["is_confirmed"] or row["is_rejected"]
        if key in kept and not decided:
            doomed.append(row["id"])
        kept[key] = True
    for start in range(0, len(doomed), 1000):
        Evidence.objects.filter(pk__in=doomed[start : start + 1000]).delete()


class Migration(migrations.Migration):
    dependencies = [("claims", "0005_claim_source")]

    operations = [
        migrations.RunPython(drop_open_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_confirmed", False), ("is_rejected", False)),
                fields=("claim", "snapshot"),
                name="evidence_one_open_per_snapshot",
            ),
        ),
    ]
