from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("oauth", "0004_revoked_tokens"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="clientregistration",
            options={"permissions": [
                ("revoke_clientregistration",
                 "Can end a client's registration and every token it holds")]},
        ),
    ]
