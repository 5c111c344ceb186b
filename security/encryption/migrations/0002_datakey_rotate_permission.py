from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("encryption", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="datakey",
            options={"ordering": ["-created_at", "-id"], "permissions": [
                ("rotate_keys", "Can start a data key rotation from the console")]},
        ),
    ]
