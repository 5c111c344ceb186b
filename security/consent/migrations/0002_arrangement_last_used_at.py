from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("consent", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="arrangement",
            name="last_used_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
