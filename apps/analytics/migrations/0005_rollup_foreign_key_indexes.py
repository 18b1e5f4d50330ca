"""The rollups' foreign keys lose their single-column indexes: each table's composite
indexes start with the student and with the course already, and a rebuild pays for every
index of millions of rows. The indexes are dropped by name rather than through
``AlterField``, which on SQLite would copy each table twice."""

import django.db.models.deletion
from django.db import migrations, models


# The names Django gave them (the same on SQLite and PostgreSQL).
SINGLE_COLUMN_INDEXES = [
    (f"analytics_{model}", f"{column}_id", f"analytics_{model}_{column}_id_{digest}")
    for model, column, digest in (
        ("attendanceday", "course", "ec3e0953"),
        ("attendanceday", "student", "8fbaedc5"),
        ("gradeday", "course", "156f1624"),
        ("gradeday", "student", "587f6b6c"),
        ("dailyperformanceday", "course", "3b1e690b"),
        ("dailyperformanceday", "student", "45b6c7ee"),
        ("trendsegment", "course", "588c2db3"),
        ("trendsegment", "student", "7c495688"),
    )
]


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0009_grade_course_date_idx"),
        ("analytics", "0004_rollup_state"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=table.removeprefix("analytics_"),
                    name=column.removesuffix("_id"),
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=f"academics.{column.removesuffix('_id')}",
                    ),
                )
                for table, column, _name in SINGLE_COLUMN_INDEXES
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for table, column, name in SINGLE_COLUMN_INDEXES
            ],
        ),
    ]
