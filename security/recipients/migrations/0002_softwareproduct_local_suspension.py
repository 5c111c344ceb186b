from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recipients", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="softwareproduct",
            options={"ordering": ["name", "id"], "permissions": [
                ("suspend_softwareproduct",
                 "Can suspend or reactivate a software product at this bank")]},
        ),
        migrations.AddField(
            model_name="softwareproduct",
            name="suspended_locally",
            field=models.BooleanField(default=False),
        ),
    ]
