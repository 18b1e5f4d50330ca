from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0006_escalation_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="notificationpreference",
            name="teacher_digest",
            field=models.BooleanField(default=True, verbose_name="weekly digest of my courses"),
        ),
        migrations.AddField(
            model_name="notificationpreference",
            name="teacher_digest_week",
            field=models.DateField(
                blank=True,
                editable=False,
                null=True,
                verbose_name="weekly digest last sent for the week of",
            ),
        ),
    ]
