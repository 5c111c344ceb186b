from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("security", "0010_audit_purge_hardened"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["id"], "permissions": [
                ("verify_audit_chain", "Can see and run the audit chain verification")]},
        ),
    ]
