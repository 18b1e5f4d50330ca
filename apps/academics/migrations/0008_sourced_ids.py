# OneRoster sourcedIds (apps.bulkio.oneroster): a UUID per student, course, enrollment and
# grade, kept in the database. Three steps, so existing rows do not all get one default:
# add the column empty, give every row its own UUID in batches, then make it unique and
# required (with a database default, for rows inserted past the ORM).

import uuid

from django.db import migrations, models

import apps.academics.models

MODELS = ("Student", "Course", "Enrollment", "Grade")
BATCH = 50_000


def _fill_sql(vendor: str) -> str | None:
    if vendor == "postgresql":
        return "gen_random_uuid()"
    if vendor == "sqlite":
        return apps.academics.models.NewUUID().as_sqlite(None, None)[0]
    return None


def fill_sourced_ids(apps, schema_editor):
    """Every row its own random UUID, a range of ids at a time (one UPDATE per batch on
    SQLite and PostgreSQL; a bulk update elsewhere)."""
    connection = schema_editor.connection
    expression = _fill_sql(connection.vendor)
    quote = connection.ops.quote_name
    for name in MODELS:
        model = apps.get_model("academics", name)
        rows = model._base_manager.using(connection.alias)
        highest = rows.aggregate(top=models.Max("pk"))["top"] or 0
        for start in range(0, highest + 1, BATCH):
            window = rows.filter(pk__gte=start, pk__lt=start + BATCH, sourced_id__isnull=True)
            if expression is not None:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {quote(model._meta.db_table)} SET sourced_id = {expression} "
                        "WHERE id >= %s AND id < %s AND sourced_id IS NULL",
                        [start, start + BATCH],
                    )
                continue
            objs = list(window.only("pk"))
            for obj in objs:
                obj.sourced_id = uuid.uuid4()
            model._base_manager.bulk_update(objs, ["sourced_id"], batch_size=1000)


def clear_sourced_ids(apps, schema_editor):
    """Going back: the column is dropped by the reversed AddField; nothing to keep."""


def _field(**extra):
    return models.UUIDField(
        editable=False, verbose_name="OneRoster sourcedId", **extra
    )


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0007_grade_posting"),
    ]

    operations = [
        *[
            migrations.AddField(
                model_name=name.lower(), name="sourced_id", field=_field(null=True)
            )
            for name in MODELS
        ],
        migrations.RunPython(fill_sourced_ids, clear_sourced_ids, elidable=False),
        *[
            migrations.AlterField(
                model_name=name.lower(),
                name="sourced_id",
                field=_field(
                    unique=True,
                    default=uuid.uuid4,
                    db_default=apps.academics.models.NewUUID(),
                ),
            )
            for name in MODELS
        ],
    ]
