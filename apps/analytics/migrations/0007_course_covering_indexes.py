"""The course indexes of the grade and attendance days cover what a range sums (a
teacher's scope reads them without a table lookup per row). On SQLite the new indexes get
their statistics at once: without them the planner guessed the course index for the
refresh's delete of one student's rows, and read the whole course's."""

from django.db import migrations, models

_NEW_INDEXES = ("attday_course_cover", "gradeday_course_cover")


def analyse_new_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return  # PostgreSQL plans from the table's statistics, which it keeps
    with connection.cursor() as cursor:
        for name in _NEW_INDEXES:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")


class Migration(migrations.Migration):

    dependencies = [
        ('academics', '0011_removed_rows_indexes'),
        ('analytics', '0006_enrollment_breakdown'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='attendanceday',
            name='attday_course_idx',
        ),
        migrations.RemoveIndex(
            model_name='gradeday',
            name='gradeday_course_idx',
        ),
        migrations.AddIndex(
            model_name='attendanceday',
            index=models.Index(fields=['course', 'day', 'student', 'present', 'absent', 'late', 'excused'], name='attday_course_cover'),
        ),
        migrations.AddIndex(
            model_name='gradeday',
            index=models.Index(fields=['course', 'day', 'student', 'category', 'weighted_sum', 'weight_sum', 'items', 'all_items'], name='gradeday_course_cover'),
        ),
        migrations.RunPython(analyse_new_indexes, migrations.RunPython.noop),
    ]
