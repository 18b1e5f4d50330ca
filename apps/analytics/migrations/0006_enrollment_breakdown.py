"""The stored results' category breakdowns move to their own table: only one student's
report reads them, while every figure scans the results, and the JSON was four fifths of
each result row. The breakdowns already stored are copied across before the column goes,
so nothing needs a rebuild."""

import django.db.models.deletion
from django.db import migrations, models

COPY_BREAKDOWNS = (
    "INSERT INTO analytics_enrollmentbreakdown (student_id, course_id, category_breakdown)"
    " SELECT student_id, course_id, category_breakdown FROM analytics_enrollmentresult"
)

# Back again when the migration is reversed (after the column returns, before the table
# goes).
RESTORE_BREAKDOWNS = (
    "UPDATE analytics_enrollmentresult SET category_breakdown = ("
    " SELECT b.category_breakdown FROM analytics_enrollmentbreakdown b"
    " WHERE b.student_id = analytics_enrollmentresult.student_id"
    " AND b.course_id = analytics_enrollmentresult.course_id)"
    " WHERE EXISTS (SELECT 1 FROM analytics_enrollmentbreakdown b"
    " WHERE b.student_id = analytics_enrollmentresult.student_id"
    " AND b.course_id = analytics_enrollmentresult.course_id)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0011_removed_rows_indexes"),
        ("analytics", "0005_rollup_foreign_key_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="EnrollmentBreakdown",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("category_breakdown", models.JSONField(default=dict)),
                (
                    "course",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="academics.course",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="academics.student",
                    ),
                ),
            ],
            options={
                "verbose_name": "enrollment breakdown",
                "verbose_name_plural": "enrollment breakdowns",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("student", "course"), name="enrollbreak_pair_uniq"
                    )
                ],
            },
        ),
        migrations.RunSQL(COPY_BREAKDOWNS, reverse_sql=RESTORE_BREAKDOWNS),
        migrations.RemoveField(model_name="enrollmentresult", name="category_breakdown"),
    ]
