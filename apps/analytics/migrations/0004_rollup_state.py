"""The daily rollups' state (``RollupState``). A database that already holds a school's
records when it migrates here has its rollup tables (0002) empty or partial: it is marked
stale (version 0), so date-filtered and course-restricted figures come from the live engine
until ``rebuild_analytics`` or the worker's queued rebuild fills them. Only the historical
models are used; the rebuild itself runs outside the migration (docs/upgrading.md)."""

from django.db import migrations, models


def mark_existing_data_stale(apps, schema_editor):
    enrollment = apps.get_model("academics", "Enrollment")
    state = apps.get_model("analytics", "RollupState")
    if enrollment.objects.using(schema_editor.connection.alias).exists():
        state.objects.using(schema_editor.connection.alias).update_or_create(
            id=1, defaults={"version": 0, "built_at": None}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0008_sourced_ids"),
        ("analytics", "0003_covering_day_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="RollupState",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("version", models.PositiveIntegerField()),
                ("built_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"verbose_name": "rollup state"},
        ),
        migrations.RunPython(mark_existing_data_stale, migrations.RunPython.noop),
    ]
