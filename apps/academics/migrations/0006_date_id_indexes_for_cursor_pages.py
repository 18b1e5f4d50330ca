# The API's cursor pages of attendance, grades and daily performance walk (date, id) from
# a position: `WHERE (date, id) < (%s, %s) ORDER BY date DESC, id DESC LIMIT n`. With an
# index on the date alone, PostgreSQL seeks to the date and then sorts every row of that
# day to find the id (12,000 a day on the reference dataset); with (date, id) it reads
# exactly n rows. SQLite already had the id in its date index (the rowid), so for it the
# new index is the same as the old. Each (date, id) index replaces its (date) index, which
# it serves as well (date filters and the date ordering).
#
# Attendance also gets (status, date, id): a status filter (`?status=absent`, 5 % of the
# rows) had no index of its own (status is the last column of (student, course, status)),
# so SQLite read the whole table and sorted the matches for each page (230 ms at 200,000
# rows, ten times that at 2 million); now it reads the page in index order, in both forms.
# That is one more index to keep on attendance writes.
#
# Reversible: going back drops the new indexes and rebuilds the old ones.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("academics", "0005_names_refuse_bidi_controls"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="attendance",
            index=models.Index(fields=["date", "id"], name="attendance_date_id_idx"),
        ),
        migrations.RemoveIndex(
            model_name="attendance",
            name="attendance_date_idx",
        ),
        migrations.AddIndex(
            model_name="attendance",
            index=models.Index(fields=["status", "date", "id"], name="attendance_status_date_idx"),
        ),
        migrations.AddIndex(
            model_name="dailyperformance",
            index=models.Index(fields=["date", "id"], name="daily_date_id_idx"),
        ),
        migrations.RemoveIndex(
            model_name="dailyperformance",
            name="daily_date_idx",
        ),
        migrations.AddIndex(
            model_name="grade",
            index=models.Index(fields=["date_assigned", "id"], name="grade_date_id_idx"),
        ),
        migrations.RemoveIndex(
            model_name="grade",
            name="grade_date_idx",
        ),
    ]
