from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("consent", "0002_arrangement_last_used_at"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="arrangement",
            options={"ordering": ["-created_at", "-id"], "permissions": [
                ("revoke_arrangement", "Can revoke an arrangement from the console")]},
        ),
    ]
